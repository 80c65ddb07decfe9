# The fault cases of the hardening work, in one place, each against a real broker (mosquitto from the fixture) and,
# where the case is about what another client sees, checked with a foreign client (mosquitto_sub).
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-SangoModuleUnderTest
    $script:cred = New-TestCredential
    $script:broker = Start-SangoTestBroker -Name faults -Plain
    $script:pki = Get-SangoTestPki
    $script:good = Start-SangoTestBroker -Name faults-tls -Tls wildcard
    $script:wrongHost = Start-SangoTestBroker -Name faults-wrong-host -Tls wrong-host
    # The module under test, for the runspaces and child processes some cases need.
    $script:module = Join-Path (Get-Module SangoPS).ModuleBase 'SangoPS.psd1'

    # A foreign subscriber (mosquitto_sub) on the fault broker.
    function Start-Sub([string] $Topic, [int] $Qos = 1) {
        Start-MosquittoSub -Broker $broker -Topic $Topic -User sango -Password sango-pass -Qos $Qos
    }
}

AfterAll {
    Get-SangoSession | Disconnect-Sango -ErrorAction SilentlyContinue
    Stop-AllSangoTestBrokers
}

Describe 'Shared subscriptions' {
    It 'delivers each message of a $share group to exactly one of its receivers, SangoPS being one of them' {
        $topic = New-UniqueTopic
        $filter = "`$share/g1/$topic"
        $s = Connect-Sango $broker.PlainUri -Credential $cred
        $other = Start-MosquittoSub -Broker $broker -Topic $filter -User sango -Password sango-pass -Qos 1 -Version mqttv5
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("param(`$s, `$f) Import-Module '$module'; Receive-SangoMessage -Session `$s -Topic `$f -TimeoutSeconds 30 | ForEach-Object Payload")
            $null = $ps.AddArgument($s).AddArgument($filter)
            $noInput = [System.Management.Automation.PSDataCollection[psobject]]::new()
            $noInput.Complete()
            $received = [System.Management.Automation.PSDataCollection[psobject]]::new()
            $null = $ps.BeginInvoke($noInput, $received)
            Wait-BrokerLog $broker "$([regex]::Escape($s.ClientId)) 1 $([regex]::Escape($filter))" -TimeoutSeconds 10

            1..20 | ForEach-Object { "m$_" } | Publish-SangoMessage -Topic $topic -Session $s
            Wait-SangoCondition -TimeoutSeconds 15 -Because 'the group to receive all 20 messages' -Condition {
                $received.Count + @(Get-MosquittoSubOutput -Subscriber $other).Count -ge 20
            } | Out-Null

            # ReadAll, not enumeration: enumerating an open PSDataCollection waits for it to be completed.
            $mine = @($received.ReadAll())
            $theirs = @((Get-MosquittoSubOutput -Subscriber $other).Payload)
            $mine.Count | Should -BeGreaterThan 0 -Because 'the broker shares the group between both receivers'
            $theirs.Count | Should -BeGreaterThan 0
            @($mine + $theirs | Sort-Object { [int]$_.Substring(1) }) | Should -Be (1..20 | ForEach-Object { "m$_" })
        }
        finally {
            $ps.Stop()
            $ps.Dispose()
            Stop-MosquittoSub $other
            Disconnect-Sango $s
        }
    }
}

Describe 'A broker that speaks only MQTT 3.1.1 (aedes)' {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'Fixtures/ForeignBrokers.psm1') -Force
        # aedes answers an MQTT 5 CONNECT with a 3.1.1 CONNACK, return code 1, like mosquitto 1.x.
        $script:aedes = $null
        $script:aedesProblem = $null
        try { $script:aedes = Start-SangoAedesBroker } catch { $script:aedesProblem = $_.Exception.Message }
    }

    AfterAll { if ($aedes) { Stop-SangoAedesBroker $aedes } }

    It 'falls back to MQTT 3.1.1 when the broker answers return code 1, says so in verbose, and publishes there' {
        if ($aedesProblem) { Set-ItResult -Skipped -Because $aedesProblem; return }
        $s = Connect-Sango $aedes.PlainUri -Verbose 4>&1 | Tee-Object -Variable output | Where-Object { $_ -is [SangoPS.Sessions.SangoSession] }
        try {
            $s.ProtocolVersion | Should -Be '3.1.1'
            ($output | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n" |
                Should -Match 'refused MQTT 5\.0; retrying with MQTT 3\.1\.1'
            $topic = New-UniqueTopic
            $sub = Start-MosquittoSub -Broker ([pscustomobject]@{ Ports = @{ Plain = $aedes.Port }; Name = 'aedes' }) -Topic $topic -Qos 1
            'over aedes' | Publish-SangoMessage -Topic $topic
            (Wait-MosquittoSubCount $sub -Count 1).Payload | Should -Be 'over aedes'
        }
        finally { Disconnect-Sango $s }
    }

    It 'with -ProtocolVersion 5.0 does not fall back and says that the broker does not accept MQTT 5.0' {
        if ($aedesProblem) { Set-ItResult -Skipped -Because $aedesProblem; return }
        $err = { Connect-Sango $aedes.PlainUri -ProtocolVersion 5.0 -TimeoutSeconds 5 } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'ConnectRefused,*'
        $err.Exception.Message | Should -Match 'does not accept MQTT 5\.0'
        $err.Exception.Message | Should -Match 'return code 1'
    }
}

Describe 'Persistent receive' {
    It 'keeps what a receive did not emit: five Receive -Count 1 get m1..m5 in order' {
        $topic = New-UniqueTopic
        $s = Connect-Sango $broker.PlainUri -Credential $cred -ClientId "sango-persist-$([guid]::NewGuid().ToString('N').Substring(0, 8))" -CleanSession $false -WarningAction SilentlyContinue
        try {
            # The first receive makes the subscription, which the broker keeps for the persistent session.
            Receive-SangoMessage -Topic $topic -TimeoutSeconds 1 | Should -BeNullOrEmpty
            foreach ($n in 1..5) {
                (Invoke-MosquittoPub -Broker $broker -Topic $topic -Message "m$n" -Qos 1 -User sango -Password sango-pass).ExitCode | Should -Be 0
            }

            $got = foreach ($n in 1..5) { (Receive-SangoMessage -Topic $topic -Count 1 -TimeoutSeconds 10).Payload }
            $got | Should -Be @('m1', 'm2', 'm3', 'm4', 'm5')
        }
        finally { Disconnect-Sango $s }
    }

    It 'leaves what a stopped receiver did not emit with the broker for a new process with the same ClientId' {
        $topic = New-UniqueTopic
        $clientId = "sango-persist-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        $receive = {
            param([string] $Limit)
            $script = "Import-Module '$module'; `$c = [pscredential]::new('sango', (ConvertTo-SecureString 'sango-pass' -AsPlainText -Force)); " +
                "`$s = Connect-Sango '$($broker.PlainUri)' -Credential `$c -ClientId '$clientId' -CleanSession `$false -WarningAction SilentlyContinue; " +
                "Receive-SangoMessage -Topic '$topic' $Limit | ForEach-Object Payload"
            $run = Invoke-SangoPwsh -ArgumentList '-Command', $script -TimeoutSeconds 60
            $run.ExitCode | Should -Be 0 -Because $run.StdErr
            @($run.StdOut -split "`n" | ForEach-Object Trim | Where-Object { $_ })
        }

        # Subscribe once (the broker keeps the subscription), then publish while nobody is connected.
        & $receive '-TimeoutSeconds 1' | Should -BeNullOrEmpty
        foreach ($n in 1..5) {
            (Invoke-MosquittoPub -Broker $broker -Topic $topic -Message "m$n" -Qos 1 -User sango -Password sango-pass).ExitCode | Should -Be 0
        }

        & $receive '-Count 2 -TimeoutSeconds 10' | Should -Be @('m1', 'm2')
        & $receive '-Count 3 -TimeoutSeconds 10' | Should -Be @('m3', 'm4', 'm5')
    }
}

Describe 'QoS 2 order' {
    It 'keeps 45 QoS 2 messages in order for a foreign subscriber (PUBREL in the order of the PUBRECs)' {
        $topic = New-UniqueTopic
        $s = Connect-Sango $broker.PlainUri -Credential $cred
        $sub = Start-MosquittoSub -Broker $broker -Topic $topic -User sango -Password sango-pass -Qos 2 -Version mqttv5
        try {
            $results = 1..45 | ForEach-Object { "q2-$_" } | Publish-SangoMessage -Topic $topic -QoS 2 -PassThru
            $results | Should -HaveCount 45
            $got = Wait-MosquittoSubCount $sub -Count 45 -TimeoutSeconds 20
            $got.Payload | Should -Be (1..45 | ForEach-Object { "q2-$_" })
            $got | ForEach-Object { $_.Qos | Should -Be 2 }
        }
        finally {
            Stop-MosquittoSub $sub
            Disconnect-Sango $s
        }
    }
}

Describe 'Payloads that cannot be sent as given' {
    It 'refuses a string with a lone surrogate (InvalidPayload) and sends the other inputs' {
        $topic = New-UniqueTopic
        $s = Connect-Sango $broker.PlainUri -Credential $cred
        $sub = Start-Sub $topic
        try {
            $broken = "bad$([char]0xD800)"
            'ok1', $broken, 'ok2' | Publish-SangoMessage -Topic $topic -ErrorVariable errors -ErrorAction SilentlyContinue

            $errors | Should -HaveCount 1
            $errors[0].FullyQualifiedErrorId | Should -BeLike 'InvalidPayload,*'
            $errors[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $errors[0].TargetObject | Should -Be $broken
            $errors[0].Exception.Message | Should -Match 'U\+D800'
            (Wait-MosquittoSubCount $sub -Count 2).Payload | Should -Be @('ok1', 'ok2')
            $s.IsConnected | Should -BeTrue
        }
        finally {
            Stop-MosquittoSub $sub
            Disconnect-Sango $s
        }
    }
}

Describe 'A -Batch pipeline that stops early' {
    It 'sends the inputs it had packed when a terminating error upstream stops the pipeline, and says how many' {
        $topic = New-UniqueTopic
        $s = Connect-Sango $broker.PlainUri -Credential $cred -WarningAction SilentlyContinue
        $sub = Start-Sub $topic
        try {
            { & { 1..5 | ForEach-Object { [pscustomobject]@{ n = $_ } }; throw 'upstream failed' } | Publish-SangoMessage -Topic $topic -Batch } |
                Should -Throw '*upstream failed*'

            $got = Wait-MosquittoSubCount $sub -Count 1
            (($got[0].Payload | ConvertFrom-Json).n) | Should -Be (1..5)
            Disconnect-Sango $s -WarningVariable warnings -WarningAction SilentlyContinue
            ($warnings -join "`n") | Should -Match 'stopped before its end: the 5 input\(s\) it had already packed'
        }
        finally { Stop-MosquittoSub $sub }
    }

    It 'sends the inputs it had packed when the pipeline is stopped (Ctrl+C), while the pipeline is open and idle' {
        $topic = New-UniqueTopic
        $s = Connect-Sango $broker.PlainUri -Credential $cred -WarningAction SilentlyContinue
        $sub = Start-Sub $topic
        $fed = [System.Threading.ManualResetEventSlim]::new($false)
        $ps = [powershell]::Create()
        try {
            # The producer hands 5 objects to Publish-SangoMessage (each is packed as it arrives), says so, then idles.
            $null = $ps.AddScript("param(`$s, `$t, `$fed) Import-Module '$module'; & { 1..5 | ForEach-Object { [pscustomobject]@{ n = `$_ } }; `$fed.Set(); Start-Sleep -Seconds 60 } | Publish-SangoMessage -Session `$s -Topic `$t -Batch").
                AddArgument($s).AddArgument($topic).AddArgument($fed)
            $handle = $ps.BeginInvoke()
            $fed.Wait([TimeSpan]::FromSeconds(30)) | Should -BeTrue

            $ps.Stop() # what Ctrl+C does

            $got = Wait-MosquittoSubCount $sub -Count 1
            (($got[0].Payload | ConvertFrom-Json).n) | Should -Be (1..5)
            Disconnect-Sango $s -WarningVariable warnings -WarningAction SilentlyContinue
            ($warnings -join "`n") | Should -Match 'the 5 input\(s\) it had already packed'
        }
        finally {
            $ps.Dispose()
            Stop-MosquittoSub $sub
        }
    }
}

Describe 'Objects deeper than the JSON depth' {
    It 'warns as ConvertTo-Json does at the default depth, and -Depth sends the whole object' {
        $topic = New-UniqueTopic
        $s = Connect-Sango $broker.PlainUri -Credential $cred -WarningAction SilentlyContinue
        $sub = Start-Sub $topic
        try {
            $deep = [pscustomobject]@{ a = [pscustomobject]@{ b = [pscustomobject]@{ c = [pscustomobject]@{ d = 1 } } } }
            $deep | Publish-SangoMessage -Topic $topic -WarningVariable shallow -WarningAction SilentlyContinue
            $deep | Publish-SangoMessage -Topic $topic -Depth 5 -WarningVariable full -WarningAction SilentlyContinue

            ($shallow -join "`n") | Should -Match 'truncated'
            $full | Should -HaveCount 0
            $got = Wait-MosquittoSubCount $sub -Count 2
            ($got[0].Payload | ConvertFrom-Json).a.b.c | Should -BeOfType [string] -Because 'below the depth an object is written as its type name'
            ($got[1].Payload | ConvertFrom-Json).a.b.c.d | Should -Be 1
        }
        finally {
            Stop-MosquittoSub $sub
            Disconnect-Sango $s
        }
    }
}

Describe '-Debug' {
    It 'writes the packet lines in a -NonInteractive run without asking to confirm each, as PowerShell''s own commands do' {
        $script = "Import-Module '$module'; `$c = [pscredential]::new('sango', (ConvertTo-SecureString 'sango-pass' -AsPlainText -Force)); " +
            "`$s = Connect-Sango '$($broker.PlainUri)' -Credential `$c -Debug -WarningAction SilentlyContinue; " +
            "'x' | Publish-SangoMessage -Session `$s -Topic 'faults/debug' -Debug; Disconnect-Sango `$s -Debug; 'done'"
        $run = Invoke-SangoPwsh -ArgumentList '-Command', $script -TimeoutSeconds 60
        $run.StdErr | Should -Not -Match 'NonInteractive'
        $run.ExitCode | Should -Be 0
        $run.StdOut | Should -Match 'DEBUG: TX CONNECT'
        $run.StdOut | Should -Match 'DEBUG: TX PUBLISH'
        $run.StdOut | Should -Match 'done'
    }
}

Describe 'Get-SangoSpool on a session without a spool' {
    It 'is NoSpool, piped or as the default session, not a parameter-binding error' {
        $s = Connect-Sango $broker.PlainUri -Credential $cred -WarningAction SilentlyContinue
        try {
            Get-SangoSession -Default | Get-SangoSpool -ErrorVariable piped -ErrorAction SilentlyContinue
            Get-SangoSpool -ErrorVariable alone -ErrorAction SilentlyContinue
            $piped | Should -HaveCount 1
            $piped[0].FullyQualifiedErrorId | Should -BeLike 'NoSpool,*'
            $piped[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $alone[0].FullyQualifiedErrorId | Should -BeLike 'NoSpool,*'
        }
        finally { Disconnect-Sango $s }
    }
}

Describe 'Disconnect-Sango with nothing piped in' {
    It 'leaves the default session open for $null from the pipeline' {
        $s = Connect-Sango $broker.PlainUri -Credential $cred
        try {
            $none = $null
            $none | Disconnect-Sango
            $s.IsConnected | Should -BeTrue
            (Get-SangoSession -Default).Id | Should -Be $s.Id
        }
        finally { Disconnect-Sango $s }
    }
}

Describe 'Warnings about security' {
    It 'warns once when a user name and password go to an endpoint without TLS' {
        $s = Connect-Sango $broker.PlainUri -Credential $cred -WarningVariable warnings -WarningAction SilentlyContinue
        try {
            @($warnings -match 'clear text') | Should -HaveCount 1
            ($warnings -join "`n") | Should -Match ([regex]::Escape($broker.PlainUri))
            ($warnings -join "`n") | Should -Not -Match 'sango-pass'
        }
        finally { Disconnect-Sango $s }
    }

    It 'does not warn about clear text over mqtts' {
        $s = Connect-Sango $good.TlsUri -Credential $cred -CaFile $pki.CaFile -WarningVariable warnings -WarningAction SilentlyContinue
        try { @($warnings -match 'clear text') | Should -HaveCount 0 }
        finally { Disconnect-Sango $s }
    }

    It 'warns about a refused certificate even when failover to the next endpoint succeeds' {
        $s = Connect-Sango $wrongHost.TlsUri, $good.TlsUri -Credential $cred -CaFile $pki.CaFile -WarningVariable warnings -WarningAction SilentlyContinue
        try {
            $s.ConnectedEndpoint | Should -Be $good.TlsUri
            $refused = @($warnings -match 'certificate of .* was refused')
            $refused | Should -HaveCount 1
            $refused[0] | Should -Match ([regex]::Escape($wrongHost.TlsUri))
            $refused[0] | Should -Match 'intercept'
        }
        finally { Disconnect-Sango $s }
    }
}

Describe 'A session closed while a publish in another runspace waits for it' {
    It 'reports what it spooled as Spooled to the waiting publish, not as failures, when its runspace closes' {
        $spool = Join-Path $TestDrive 'spool-other-runspace'
        # The session belongs to the runspace that connected it; closing that runspace closes the session at once.
        $owner = [runspacefactory]::CreateRunspace()
        $owner.Open()
        $connect = [powershell]::Create()
        $connect.Runspace = $owner
        $s = $connect.AddScript("param(`$e, `$p) Import-Module '$module'; Connect-Sango `$e -SpoolDirectory `$p -TimeoutSeconds 30 -WarningAction SilentlyContinue").
            AddArgument("mqtt://127.0.0.1:$(Get-FreeTcpPort)").AddArgument($spool).Invoke()[0]
        $connect.Dispose()
        $publish = [powershell]::Create()
        try {
            $null = $publish.AddScript("param(`$s) Import-Module '$module'; 1..5 | ForEach-Object { `"m`$_`" } | Publish-SangoMessage -Session `$s -Topic 'faults/other' -PassThru -WarningAction SilentlyContinue").AddArgument($s)
            $handle = $publish.BeginInvoke()
            Wait-SangoCondition -TimeoutSeconds 10 -Because 'the 5 messages to be queued' -Condition { $s.QueuedMessages -eq 5 } | Out-Null

            $owner.Dispose()

            $handle.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(10)) | Should -BeTrue -Because 'the publish ends once its messages are settled, long before its 30 s wait'
            $results = $publish.EndInvoke($handle)
            $publish.Streams.Error | Should -HaveCount 0
            $results.ReasonCode | Should -Be (@('Spooled') * 5)
            $results[0].Endpoint | Should -Be (Get-Item -LiteralPath $spool).FullName
            (Get-SangoSpool -Path $spool).Count | Should -Be 5
        }
        finally { $publish.Dispose() }
    }
}

Describe 'A spooled message that no reconnect will cure' {
    It 'is checked against the new broker''s limit, moved to the rejected folder with a warning, and never sent again' {
        $limited = Start-SangoTestBroker -Name faults-limited -Plain -MaxPacketSize 2048
        $topic = New-UniqueTopic
        $spool = Join-Path $TestDrive 'spool-rejected'
        $offline = Connect-Sango "mqtt://127.0.0.1:$(Get-FreeTcpPort)" -SpoolDirectory $spool -TimeoutSeconds 1 -WarningAction SilentlyContinue
        ('x' * 3000), 'small' | Publish-SangoMessage -Session $offline -Topic $topic -WarningAction SilentlyContinue
        Disconnect-Sango $offline -WarningAction SilentlyContinue
        (Get-SangoSpool -Path $spool).Count | Should -Be 2

        $sub = Start-MosquittoSub -Broker $limited -Topic $topic -User sango -Password sango-pass -Qos 1
        $s = Connect-Sango $limited.PlainUri -Credential $cred -SpoolDirectory $spool -WarningVariable warnings -WarningAction SilentlyContinue
        try {
            (Wait-MosquittoSubCount $sub -Count 1).Payload | Should -Be 'small'
            $rejected = @($warnings -match 'cannot be sent')
            $rejected | Should -HaveCount 1
            $rejected[0] | Should -Match '\.sgm'
            $rejected[0] | Should -Match 'Maximum Packet Size'
            $rejected[0] | Should -Match ([regex]::Escape((Join-Path $spool 'rejected')))
        }
        finally { Disconnect-Sango $s -WarningAction SilentlyContinue }

        $info = Get-SangoSpool -Path $spool
        $info.Count | Should -Be 0
        $info.Claimed | Should -Be 0
        $info.Rejected | Should -Be 1
        $again = Connect-Sango $limited.PlainUri -Credential $cred -SpoolDirectory $spool -WarningVariable more -WarningAction SilentlyContinue
        Disconnect-Sango $again -WarningAction SilentlyContinue
        @($more -match 'cannot be sent') | Should -HaveCount 0 -Because 'a rejected message is not claimed again'
        @(Get-MosquittoSubOutput -Subscriber $sub) | Should -HaveCount 1
    }
}

Describe 'A broker that stops answering' {
    It 'reports a keep-alive timeout as a broker that stopped answering, not as a normal disconnection' {
        $b = Start-SangoTestBroker -Name faults-stalled -Plain
        $s = Connect-Sango $b.PlainUri -Credential $cred -KeepAliveSeconds 1 -TimeoutSeconds 2 -WarningAction SilentlyContinue
        try {
            $null = & kill -STOP $b.Process.Id
            try {
                Wait-SangoCondition -TimeoutSeconds 20 -Because 'the keep-alive to notice the stalled broker' -Condition { $s.IsReconnecting } | Out-Null
            }
            finally { $null = & kill -CONT $b.Process.Id }
            Wait-SangoCondition -TimeoutSeconds 20 -Because 'the session to reconnect' -Condition { $s.IsConnected } | Out-Null

            'x' | Publish-SangoMessage -Session $s -Topic (New-UniqueTopic) -WarningVariable warnings -WarningAction SilentlyContinue
            $lost = @($warnings -match 'lost its connection')
            $lost | Should -Not -BeNullOrEmpty
            $lost[0] | Should -Match 'stopped answering'
            $lost[0] | Should -Not -Match 'NormalDisconnection'
        }
        finally {
            Disconnect-Sango $s -WarningAction SilentlyContinue
            Stop-SangoTestBroker $b
        }
    }
}

Describe 'A password changed under a connected session' {
    It 'does not retry every few seconds: the broker sees at most 2 attempts in 20 s, and the session warns' {
        $b = Start-SangoTestBroker -Name faults-auth -Plain
        $clientId = "sango-auth-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        $s = Connect-Sango $b.PlainUri -Credential $cred -ClientId $clientId -TimeoutSeconds 2 -WarningAction SilentlyContinue
        try {
            Stop-SangoTestBroker $b
            $passwd = Invoke-SangoTestProcess -FilePath (Get-Command mosquitto_passwd).Source -ArgumentList @('-b', $b.PasswordFile, 'sango', 'changed-under-it') -TimeoutSeconds 20
            $passwd.ExitCode | Should -Be 0
            $before = @(Get-SangoTestBrokerLog -Broker $b).Count
            Restart-SangoTestBroker $b
            $attempts = { @(@(Get-SangoTestBrokerLog -Broker $b) | Select-Object -Skip $before | Where-Object { $_ -match 'Client <unknown> disconnected, not authorised' }).Count }
            Wait-SangoCondition -TimeoutSeconds 15 -Because 'the session to try the new password once' -Condition { (& $attempts) -ge 1 } | Out-Null

            # mosquitto logs a refused CONNECT without its client id; this broker serves only this session.
            # Reconnects without the back-off come every 0.1-5 s: a dozen in this window.
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            while ($watch.Elapsed.TotalSeconds -lt 20) { Start-Sleep -Milliseconds 500 }
            (& $attempts) | Should -BeLessOrEqual 2

            'x' | Publish-SangoMessage -Session $s -Topic (New-UniqueTopic) -WarningVariable warnings -WarningAction SilentlyContinue
            ($warnings -join "`n") | Should -Match 'refused the credentials when reconnecting'
            ($warnings -join "`n") | Should -Match 'only every 5 minutes'
        }
        finally {
            Disconnect-Sango $s -WarningAction SilentlyContinue -ErrorAction SilentlyContinue
            Stop-SangoTestBroker $b
        }
    }
}

Describe 'Client certificates and their keys' {
    BeforeAll {
        $script:mtls = Start-SangoTestBroker -Name faults-mtls -MutualTls
        $script:client = $pki.Client
        function Get-SessionCertificate($Session) {
            $options = [SangoPS.Sessions.SangoSession].GetProperty('Options', [System.Reflection.BindingFlags]'NonPublic, Instance').GetValue($Session)
            $options.GetType().GetProperty('ClientCertificate').GetValue($options)
        }
    }

    It 'disposes the certificate (and its key) it loaded from files when the session closes' {
        $s = Connect-Sango $mtls.MutualTlsUri -CaFile $pki.CaFile -ClientCertificatePath $client.CertFile -ClientKeyPath $client.KeyFile
        $loaded = Get-SessionCertificate $s
        $loaded.Handle | Should -Not -Be ([IntPtr]::Zero)
        Disconnect-Sango $s
        $loaded.Handle | Should -Be ([IntPtr]::Zero)
    }

    It 'says that the broker most likely requires a client certificate when none was given' {
        $err = { Connect-Sango $mtls.MutualTlsUri -CaFile $pki.CaFile -TimeoutSeconds 5 } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'ConnectFailed,*'
        $err.CategoryInfo.Category | Should -Be 'ConnectionError' -Because 'it may also be a broker that is restarting: not a verdict on security'
        $err.Exception.Message | Should -Match 'requires a client certificate'
        $err.Exception.Message | Should -Match '-ClientCertificatePath'
    }

    It 'leaves a certificate object the user passed usable after the session closes' {
        $cert = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($client.PfxFile, $client.Passphrase)
        $s = Connect-Sango $mtls.MutualTlsUri -CaFile $pki.CaFile -ClientCertificate $cert
        Disconnect-Sango $s
        $cert.Handle | Should -Not -Be ([IntPtr]::Zero)
        $cert.HasPrivateKey | Should -BeTrue
    }
}

Describe 'A script that ends without Disconnect-Sango' {
    BeforeAll {
        # A session with a spool whose only endpoint never answers (a free loopback port nobody listens on): it
        # keeps trying in the background and queues what is published, like a scheduled task during an outage.
        $script:unreachable = "mqtt://127.0.0.1:$(Get-FreeTcpPort)"
        $script:publisher = Join-Path $TestDrive 'publish-and-end.ps1'
        Set-Content -LiteralPath $publisher -Value @'
param([string] $Module, [string] $Endpoint, [string] $Spool, [string] $Ending, [string] $Marker)
Import-Module $Module
$s = Connect-Sango $Endpoint -SpoolDirectory $Spool -TimeoutSeconds 1 -WarningAction SilentlyContinue
1..5 | ForEach-Object { "m$_" } | Publish-SangoMessage -Topic 'faults/end' -WarningAction SilentlyContinue
"queued=$($s.QueuedMessages)"
switch ($Ending) {
    'exit' { exit 3 }
    # Ends the process at once, without closing the runspace, as a host that calls Environment.Exit does.
    'process-exit' { [Environment]::Exit(4) }
    'wait' { New-Item -ItemType File -Path $Marker | Out-Null; Start-Sleep -Seconds 120 }
}
'@
        function Invoke-Publisher([string] $Spool, [string] $Ending) {
            Invoke-SangoPwsh -ArgumentList '-File', $publisher, '-Module', $module, '-Endpoint', $unreachable, '-Spool', $Spool, '-Ending', $Ending -TimeoutSeconds 60
        }
    }

    It 'spools every queued QoS 1 message when a -File script simply ends' {
        $spool = Join-Path $TestDrive 'spool-end'
        $run = Invoke-Publisher $spool 'end'
        $run.ExitCode | Should -Be 0
        $run.StdOut | Should -Match 'queued=5'
        (Get-SangoSpool -Path $spool).Count | Should -Be 5
    }

    It 'spools every queued QoS 1 message when the script calls exit' {
        $spool = Join-Path $TestDrive 'spool-exit'
        $run = Invoke-Publisher $spool 'exit'
        $run.ExitCode | Should -Be 3
        (Get-SangoSpool -Path $spool).Count | Should -Be 5
    }

    It 'spools every queued QoS 1 message when the process ends without closing its runspace (Environment.Exit)' {
        $spool = Join-Path $TestDrive 'spool-process-exit'
        $run = Invoke-Publisher $spool 'process-exit'
        $run.ExitCode | Should -Be 4
        (Get-SangoSpool -Path $spool).Count | Should -Be 5
    }

    It 'loses what was only in memory when the process is killed (kill -9), and keeps what was spooled before' {
        $spool = Join-Path $TestDrive 'spool-kill'
        (Invoke-Publisher $spool 'end').ExitCode | Should -Be 0
        (Get-SangoSpool -Path $spool).Count | Should -Be 5

        $marker = Join-Path $TestDrive 'published.marker'
        $pwsh = Get-SangoPwsh
        $psi = [System.Diagnostics.ProcessStartInfo]::new($pwsh.FilePath)
        foreach ($argument in $pwsh.Prefix + @('-NoProfile', '-NonInteractive', '-File', $publisher, '-Module', $module, '-Endpoint', $unreachable,
                '-Spool', $spool, '-Ending', 'wait', '-Marker', $marker)) { $psi.ArgumentList.Add($argument) }
        $psi.RedirectStandardOutput = $true
        $process = [System.Diagnostics.Process]::Start($psi)
        try {
            Wait-SangoCondition -TimeoutSeconds 60 -Because 'the child to have queued its 5 messages' -Condition { Test-Path -LiteralPath $marker } | Out-Null
            $process.Kill() # SIGKILL on Linux and macOS: nothing of the process runs any more
            $process.WaitForExit(10000) | Should -BeTrue
        }
        finally { if (-not $process.HasExited) { $process.Kill() } }

        (Get-SangoSpool -Path $spool).Count | Should -Be 5 -Because 'the 5 messages queued in memory are lost; the 5 spooled earlier stay'
    }
}
