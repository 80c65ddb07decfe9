# The cluster: two mosquitto brokers bridged both ways (as the seed's Broker A and Broker B), killed and
# restarted by process id. Every wait is bounded; every claim is checked with counts.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-SangoModuleUnderTest
    $script:cred = New-TestCredential
    $script:a = Start-SangoTestBroker -Name broker-a -Plain
    $script:b = Start-SangoTestBroker -Name broker-b -Plain -BridgeTo $a

    function Restart-Both {
        foreach ($broker in $a, $b) {
            if ($broker.Process.HasExited) { Restart-SangoTestBroker $broker | Out-Null }
        }
        Wait-SangoTestBridge $b | Out-Null
    }

    function Start-Sub($On, [string] $Topic) {
        Start-MosquittoSub -Broker $On -Topic $Topic -User sango -Password sango-pass -Qos 1
    }

    function Get-Numbers($Messages) { @($Messages | ForEach-Object { [int]($_.Payload -replace '\D', '') }) }

    # Runs a script in a new pwsh process (a scheduled task's run), with the module imported.
    function Invoke-ChildPwsh([string] $Script) {
        $full = "Import-Module '$(Join-Path (Get-Module SangoPS).ModuleBase 'SangoPS.psd1')'; `$ErrorActionPreference = 'Stop'; $Script"
        $r = Invoke-SangoPwsh -ArgumentList '-Command', $full -TimeoutSeconds 60
        if ($r.ExitCode -ne 0) { throw "child pwsh failed ($($r.ExitCode)): $($r.StdOut) $($r.StdErr)" }
        $r
    }
}

AfterAll {
    Get-SangoSession | Disconnect-Sango -ErrorAction SilentlyContinue
    Stop-AllSangoTestBrokers
}

Describe 'The two-broker cluster fixture' {
    It 'routes a message published on either broker to subscribers on both' {
        $topic = New-UniqueTopic
        $onA = Start-Sub $a $topic
        $onB = Start-Sub $b $topic
        Invoke-MosquittoPub -Broker $a -Topic $topic -Message 'via A' -Qos 1 -User sango -Password sango-pass | Out-Null
        Invoke-MosquittoPub -Broker $b -Topic $topic -Message 'via B' -Qos 1 -User sango -Password sango-pass | Out-Null
        (Wait-MosquittoSubCount $onA -Count 2).Payload | Sort-Object | Should -Be @('via A', 'via B')
        (Wait-MosquittoSubCount $onB -Count 2).Payload | Sort-Object | Should -Be @('via A', 'via B')
    }
}

Describe 'Endpoints and strategy' {
    BeforeAll { Restart-Both }
    AfterEach { Get-SangoSession | Disconnect-Sango }

    It 'fails over from an unreachable first endpoint within the timeout and records why' {
        $dead = "mqtt://127.0.0.1:$(Get-FreeTcpPort)"
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $s = Connect-Sango $dead, $b.PlainUri -Credential $cred -TimeoutSeconds 3
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 3
        $s.ConnectedEndpoint | Should -Be $b.PlainUri.TrimEnd('/')
        $s.LastFailure.Endpoint | Should -Be $dead
        $s.LastFailure.Reason | Should -Match 'refused'
    }

    It 'lists every endpoint with its own reason when none answers' {
        $one = "mqtt://127.0.0.1:$(Get-FreeTcpPort)"
        $two = 'mqtt://no-such-host.invalid:1883'
        $err = { Connect-Sango $one, $two -Credential $cred -TimeoutSeconds 3 } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'ConnectFailed,*'
        $err.Exception.Message | Should -Match "$([regex]::Escape($one)): .*refused"
        $err.Exception.Message | Should -Match 'no-such-host\.invalid:1883: '
    }

    It 'spreads new sessions over the endpoints with -Strategy RoundRobin, also across processes' {
        $endpoints = @($a.PlainUri, $b.PlainUri)
        $first = Connect-Sango $endpoints -Credential $cred -Strategy RoundRobin
        $second = Connect-Sango $endpoints -Credential $cred -Strategy RoundRobin
        $second.ConnectedEndpoint | Should -Not -Be $first.ConnectedEndpoint
        $child = Invoke-ChildPwsh "`$s = Connect-Sango '$($a.PlainUri)','$($b.PlainUri)' -Strategy RoundRobin -Credential ([pscredential]::new('sango', (ConvertTo-SecureString 'sango-pass' -AsPlainText -Force))); 'AT=' + `$s.ConnectedEndpoint; Disconnect-Sango"
        $inChild = ([regex]::Match($child.StdOut, 'AT=(\S+)')).Groups[1].Value
        $inChild | Should -Be $first.ConnectedEndpoint
        $third = Connect-Sango $endpoints -Credential $cred -Strategy RoundRobin
        $third.ConnectedEndpoint | Should -Be $second.ConnectedEndpoint
    }
}

Describe 'Failover while publishing' {
    BeforeAll { Restart-Both }
    AfterEach { Get-SangoSession | Disconnect-Sango -WarningAction SilentlyContinue -ErrorAction SilentlyContinue; Restart-Both }

    It 'delivers every one of 2,000 numbered QoS 1 messages when the connected broker is killed in the middle' {
        $topic = New-UniqueTopic
        $sub = Start-Sub $b $topic
        $s = Connect-Sango $a.PlainUri, $b.PlainUri -Credential $cred -Name failover
        $s.ConnectedEndpoint | Should -Be $a.PlainUri
        1..2000 | ForEach-Object {
            if ($_ -eq 1000) { Stop-SangoTestBroker $a -Kill }
            "n$_"
        } | Publish-SangoMessage -Topic $topic -WarningAction SilentlyContinue
        $got = Wait-MosquittoSubCount $sub -Count 2000 -TimeoutSeconds 30
        $numbers = Get-Numbers $got
        $unique = @($numbers | Sort-Object -Unique)
        $unique.Count | Should -Be 2000
        (Compare-Object (1..2000) $unique) | Should -BeNullOrEmpty
        Write-Host "    received $($numbers.Count) messages for 2000 numbers ($($numbers.Count - 2000) repeats)"
        $s.ConnectedEndpoint | Should -Be $b.PlainUri
        $s.FailoverCount | Should -Be 1
        $s.LastFailure.Endpoint | Should -Be $a.PlainUri
    }

    It 'replays after a failover what the lost broker acknowledged in the last -ReplaySeconds, with the same message ids' -TestCases @(
        @{ Replay = 5; Expected = 10 }
        @{ Replay = 0; Expected = 0 }
    ) {
        param($Replay, $Expected)
        # Two brokers that do not bridge: what A acknowledged never reaches B unless the session publishes it again.
        $lonelyA = Start-SangoTestBroker -Name "lonely-a-$Replay" -Plain
        $lonelyB = Start-SangoTestBroker -Name "lonely-b-$Replay" -Plain
        $topic = New-UniqueTopic
        $onB = Start-MosquittoSub -Broker $lonelyB -Topic $topic -User sango -Password sango-pass -Qos 1 -Version mqttv5 -Format '%p %P'
        $s = Connect-Sango $lonelyA.PlainUri, $lonelyB.PlainUri -Credential $cred -ReplaySeconds $Replay
        1..10 | ForEach-Object { "r$_" } | Publish-SangoMessage -Session $s -Topic $topic
        $s.MessagesPublished | Should -Be 10
        Stop-SangoTestBroker $lonelyA -Kill
        Wait-SangoCondition -TimeoutSeconds 15 -Because 'the failover to B' -Condition { $s.IsConnected -and $s.ConnectedEndpoint -eq $lonelyB.PlainUri } | Out-Null
        # A control message after the replay: once it is there, everything replayed before it is there too.
        'control' | Publish-SangoMessage -Session $s -Topic $topic -WarningAction SilentlyContinue
        Wait-SangoCondition -TimeoutSeconds 15 -Because 'the control message on B' -Condition { @(Get-MosquittoSubOutput $onB) -match '^control ' } | Out-Null
        $lines = @(Get-MosquittoSubOutput $onB | Where-Object { $_ -match '^r\d+ ' })
        $lines.Count | Should -Be $Expected
        if ($Expected) {
            ($lines | ForEach-Object { ($_ -split ' ')[0] }) | Should -Be (1..10 | ForEach-Object { "r$_" })
            # Each replayed message carries its sango-id user property, so receivers can drop repeats.
            $lines | ForEach-Object { $_ | Should -Match 'sango-id:[A-Za-z0-9_-]{22}' }
        }
        Disconnect-Sango $s
        Stop-SangoTestBroker $lonelyB
    }

    It 'warns and tells the verbose story of a failover' {
        $s = Connect-Sango $a.PlainUri, $b.PlainUri -Credential $cred
        Stop-SangoTestBroker $a -Kill
        Wait-SangoCondition -TimeoutSeconds 15 -Because 'the session to fail over to B' -Condition { $s.IsConnected -and $s.ConnectedEndpoint -eq $b.PlainUri } | Out-Null
        'x' | Publish-SangoMessage -Topic (New-UniqueTopic) -WarningVariable warnings -WarningAction SilentlyContinue
        ($warnings -join "`n") | Should -Match 'lost its connection to mqtt://127\.0\.0\.1'
        ($warnings -join "`n") | Should -Match "failed over from $([regex]::Escape($a.PlainUri)) to $([regex]::Escape($b.PlainUri))"
    }

    It 'queues publishes while reconnecting and refuses clearly when the queue is full' {
        $s = Connect-Sango $a.PlainUri -Credential $cred -MaxQueuedMessages 5 -TimeoutSeconds 2
        Stop-SangoTestBroker $a -Kill
        Wait-SangoCondition -TimeoutSeconds 10 -Because 'the session to notice' -Condition { $s.IsReconnecting } | Out-Null
        $topic = New-UniqueTopic
        1..8 | ForEach-Object { "q$_" } | Publish-SangoMessage -Session $s -Topic $topic -ErrorVariable errs -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $errs.Count | Should -Be 3
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'QueueFull,*'
        $errs[0].TargetObject | Should -Be 'q6'
        $s.QueuedMessages | Should -Be 5
        Restart-SangoTestBroker $a | Out-Null
        # The broker's acknowledgements are the proof: the five queued messages went out after the reconnect.
        Wait-SangoCondition -TimeoutSeconds 20 -Because 'the queued messages to be acknowledged' -Condition { $s.MessagesPublished -eq 5 -and $s.QueuedMessages -eq 0 } | Out-Null
        $s.FailoverCount | Should -Be 1
    }
}

Describe 'Receiving through failures' {
    BeforeAll { Restart-Both }
    AfterEach { Get-SangoSession | Disconnect-Sango -WarningAction SilentlyContinue -ErrorAction SilentlyContinue; Restart-Both }

    It 'keeps emitting after its broker is killed: the subscription is restored on the other endpoint' {
        $topic = New-UniqueTopic
        $s = Connect-Sango $a.PlainUri, $b.PlainUri -Credential $cred
        $feeder = Start-Process -FilePath bash -PassThru -ArgumentList (New-Item (Join-Path $TestDrive 'feed.sh') -Value @"
for i in `$(seq 1 400); do mosquitto_pub -h 127.0.0.1 -p $($b.Ports.Plain) -u sango -P sango-pass -q 1 -t '$topic' -m f`$i || exit 1; sleep 0.05; done
"@ -Force).FullName
        try {
            $n = 0
            $got = Receive-SangoMessage -Topic $topic -TimeoutSeconds 30 -WarningAction SilentlyContinue | ForEach-Object {
                $n++
                if ($n -eq 5) { Stop-SangoTestBroker $a -Kill }
                $_
            } | Select-Object -First 20
        }
        finally { if (-not $feeder.HasExited) { $feeder.Kill() }; $feeder.WaitForExit(5000) | Out-Null }
        $got.Count | Should -Be 20
        $s.FailoverCount | Should -Be 1
        $s.ConnectedEndpoint | Should -Be $b.PlainUri
        ($got | Select-Object -Last 1).Endpoint | Should -Be $b.PlainUri
    }

    It 'emits each message exactly once with -AllEndpoints, and loses none when one broker dies' {
        $base = New-UniqueTopic
        $s = Connect-Sango $a.PlainUri, $b.PlainUri -Credential $cred -Name listener
        $pub = Connect-Sango $b.PlainUri -Credential $cred -Name publisher
        $ps = [powershell]::Create()
        $out = [System.Collections.Concurrent.ConcurrentQueue[object]]::new()
        $count = { param($t) @($out.ToArray() | Where-Object Topic -eq "$base/$t").Count }
        try {
            $null = $ps.AddScript("param(`$s, `$q) Import-Module '$(Join-Path (Get-Module SangoPS).ModuleBase 'SangoPS.psd1')'; Receive-SangoMessage -Session `$s -Topic '$base/#' -AllEndpoints -TimeoutSeconds 60 -WarningAction SilentlyContinue | ForEach-Object { `$q.Enqueue(`$_) }").AddArgument($s).AddArgument($out)
            $async = $ps.BeginInvoke()
            # Both endpoint receivers listen once a probe published on A and one on B have come through.
            $i = 0
            Wait-SangoCondition -TimeoutSeconds 20 -IntervalMilliseconds 200 -Because 'the -AllEndpoints receiver to listen on both brokers' -Condition {
                $i++
                Invoke-MosquittoPub -Broker $a -Topic "$base/probe" -Message "probe-a$i" -Qos 1 -User sango -Password sango-pass | Out-Null
                Invoke-MosquittoPub -Broker $b -Topic "$base/probe" -Message "probe-b$i" -Qos 1 -User sango -Password sango-pass | Out-Null
                (& $count 'probe') -ge 2
            } | Out-Null
            1..100 | ForEach-Object { "d$_" } | Publish-SangoMessage -Session $pub -Topic "$base/data"
            Wait-SangoCondition -TimeoutSeconds 20 -Because '100 messages' -Condition { (& $count 'data') -ge 100 } | Out-Null
            Stop-SangoTestBroker $a -Kill
            101..200 | ForEach-Object { "d$_" } | Publish-SangoMessage -Session $pub -Topic "$base/data"
            Wait-SangoCondition -TimeoutSeconds 20 -Because '200 messages' -Condition { (& $count 'data') -ge 200 } | Out-Null
            # Let any late repeat arrive: a control message published after everything else comes through B.
            Invoke-MosquittoPub -Broker $b -Topic "$base/control" -Message 'end' -Qos 1 -User sango -Password sango-pass | Out-Null
            Wait-SangoCondition -TimeoutSeconds 20 -Because 'the control message' -Condition { (& $count 'control') -ge 1 } | Out-Null
            $data = @($out.ToArray() | Where-Object Topic -eq "$base/data")
            $numbers = Get-Numbers $data
            $numbers.Count | Should -Be 200
            ($numbers | Sort-Object -Unique).Count | Should -Be 200
        }
        finally { $ps.Stop(); $ps.Dispose(); Disconnect-Sango $pub }
    }

    It 'delivers QoS 1 messages published while a persistent receiver was away from the same broker' {
        $topic = New-UniqueTopic
        $id = 'sango-persistent-' + [guid]::NewGuid().ToString('N').Substring(0, 6)
        $first = Connect-Sango $a.PlainUri -Credential $cred -ClientId $id -CleanSession $false
        Receive-SangoMessage -Session $first -Topic $topic -QoS 1 -TimeoutSeconds 1 | Should -BeNullOrEmpty
        Disconnect-Sango $first
        1..5 | ForEach-Object { Invoke-MosquittoPub -Broker $a -Topic $topic -Message "away$_" -Qos 1 -User sango -Password sango-pass | Out-Null }
        $again = Connect-Sango $a.PlainUri -Credential $cred -ClientId $id -CleanSession $false
        $got = Receive-SangoMessage -Session $again -Topic $topic -Count 5 -TimeoutSeconds 10
        $got.Payload | Should -Be @('away1', 'away2', 'away3', 'away4', 'away5')
    }
}

Describe 'Store and forward' {
    BeforeAll { Restart-Both }
    AfterEach { Get-SangoSession | Disconnect-Sango -ErrorAction SilentlyContinue; Restart-Both }

    It 'spools 500 QoS 1 messages when both brokers are down, and a new process with the same spool delivers them all' {
        $spool = Join-Path $TestDrive 'spool'
        $topic = New-UniqueTopic
        Stop-SangoTestBroker $b -Kill
        Stop-SangoTestBroker $a -Kill
        $s = Connect-Sango $a.PlainUri, $b.PlainUri -Credential $cred -SpoolDirectory $spool -TimeoutSeconds 2 -WarningVariable w -WarningAction SilentlyContinue
        ($w -join "`n") | Should -Match 'keeps trying in the background'
        $s.IsConnected | Should -BeFalse
        1..500 | ForEach-Object { "s$_" } | Publish-SangoMessage -Session $s -Topic $topic -WarningAction SilentlyContinue
        Disconnect-Sango $s -WarningAction SilentlyContinue
        $info = Get-SangoSpool -Path $spool
        $info.Count | Should -Be 500
        $info.Bytes | Should -BeGreaterThan 0
        $info.Oldest | Should -BeLessOrEqual ([datetime]::Now)

        Restart-Both
        $sub = Start-Sub $a $topic
        Invoke-ChildPwsh "`$c = [pscredential]::new('sango', (ConvertTo-SecureString 'sango-pass' -AsPlainText -Force)); Connect-Sango '$($a.PlainUri)','$($b.PlainUri)' -Credential `$c -SpoolDirectory '$spool' | Out-Null; Disconnect-Sango" | Out-Null
        $got = Wait-MosquittoSubCount $sub -Count 500 -TimeoutSeconds 30
        Get-Numbers $got | Should -Be (1..500)
        (Get-SangoSpool -Path $spool).Count | Should -Be 0
    }

    It 'shows progress while Disconnect-Sango waits for queued messages, then spools what is left' {
        $spool = Join-Path $TestDrive 'spool-progress'
        Stop-SangoTestBroker $a -Kill
        $s = Connect-Sango $a.PlainUri -Credential $cred -SpoolDirectory $spool -TimeoutSeconds 1 -WarningAction SilentlyContinue
        1..50 | ForEach-Object { "w$_" } | Publish-SangoMessage -Session $s -Topic (New-UniqueTopic) -WarningAction SilentlyContinue
        $streams = $null
        $null = Invoke-SangoRunspace -Script "`$ProgressPreference = 'Continue'; Disconnect-Sango -Session `$args[0] -WarningAction SilentlyContinue" -ArgumentList $s -Streams ([ref]$streams)
        $progress = @($streams.Progress | Where-Object Activity -eq 'Disconnect-Sango')
        $progress.Count | Should -BeGreaterThan 1
        $progress[0].StatusDescription | Should -Be '50 left (waiting for the connection)'
        ($progress | Select-Object -Last 1).RecordType | Should -Be 'Completed'
        (Get-SangoSpool $spool).Count | Should -Be 50
    }

    It 'sets a corrupt spool file aside, reports it, and still sends the rest' {
        $spool = Join-Path $TestDrive 'spool-corrupt'
        $topic = New-UniqueTopic
        Stop-SangoTestBroker $a -Kill
        $s = Connect-Sango $a.PlainUri -Credential $cred -SpoolDirectory $spool -TimeoutSeconds 1 -WarningAction SilentlyContinue
        'one', 'two' | Publish-SangoMessage -Session $s -Topic $topic -WarningAction SilentlyContinue
        Disconnect-Sango $s -WarningAction SilentlyContinue
        $files = @(Get-ChildItem $spool -Filter *.sgm | Sort-Object Name)
        $files.Count | Should -Be 2
        # A partly written file: its payload is cut short.
        $bytes = [IO.File]::ReadAllBytes($files[0].FullName)
        [IO.File]::WriteAllBytes($files[0].FullName, $bytes[0..($bytes.Length - 2)])
        Restart-Both
        $sub = Start-Sub $a $topic
        $s2 = Connect-Sango $a.PlainUri -Credential $cred -SpoolDirectory $spool -WarningVariable w -WarningAction SilentlyContinue
        ($w -join "`n") | Should -Match 'cannot be sent: .*partly written'
        (Wait-MosquittoSubCount $sub -Count 1).Payload | Should -Be @('two')
        Disconnect-Sango $s2
        $info = Get-SangoSpool -Path $spool
        $info.Count | Should -Be 0
        $info.Corrupt | Should -Be 1
    }

    It 'never sends a spooled entry twice when two processes share the spool' {
        $spool = Join-Path $TestDrive 'spool-shared'
        $topic = New-UniqueTopic
        Stop-SangoTestBroker $a -Kill
        $s = Connect-Sango $a.PlainUri -Credential $cred -SpoolDirectory $spool -TimeoutSeconds 1 -WarningAction SilentlyContinue
        1..300 | ForEach-Object { "p$_" } | Publish-SangoMessage -Session $s -Topic $topic -WarningAction SilentlyContinue
        Disconnect-Sango $s -WarningAction SilentlyContinue
        (Get-SangoSpool $spool).Count | Should -Be 300
        Restart-Both
        $sub = Start-Sub $a $topic
        $script = "`$c = [pscredential]::new('sango', (ConvertTo-SecureString 'sango-pass' -AsPlainText -Force)); Connect-Sango '$($a.PlainUri)' -Credential `$c -SpoolDirectory '$spool' | Out-Null; Disconnect-Sango"
        $full = "Import-Module '$(Join-Path (Get-Module SangoPS).ModuleBase 'SangoPS.psd1')'; $script"
        $pwsh = Get-SangoPwsh
        $procs = 1..2 | ForEach-Object { Start-Process -FilePath $pwsh.FilePath -ArgumentList ($pwsh.Prefix + @('-NoProfile', '-NonInteractive', '-Command', "`"$($full -replace '"', '\"')`"")) -PassThru }
        foreach ($p in $procs) { $p.WaitForExit(60000) | Should -BeTrue; $p.ExitCode | Should -Be 0 }
        $got = Wait-MosquittoSubCount $sub -Count 300 -TimeoutSeconds 30
        # Nothing else can arrive: a control message after both processes ended comes last.
        Invoke-MosquittoPub -Broker $a -Topic $topic -Message 'p999999' -Qos 1 -User sango -Password sango-pass | Out-Null
        $got = Wait-MosquittoSubCount $sub -Count 301 -TimeoutSeconds 10
        $numbers = Get-Numbers $got | Where-Object { $_ -ne 999999 }
        $numbers.Count | Should -Be 300
        ($numbers | Sort-Object -Unique).Count | Should -Be 300
        (Get-SangoSpool $spool).Count | Should -Be 0
    }
}
