# Receive-SangoMessage against a real mosquitto; messages come from mosquitto_pub.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-SangoModuleUnderTest
    $script:cred = New-TestCredential
    $script:broker = Start-SangoTestBroker -Name receive -Plain
    $script:session = Connect-Sango $broker.PlainUri -Credential $cred -Name receive

    function Send([string] $Topic, [string] $Message, [switch] $Retain, [string[]] $Extra, [string] $Version = 'mqttv311') {
        $r = Invoke-MosquittoPub -Broker $broker -Topic $Topic -Message $Message -Qos 1 -Retain:$Retain -User sango -Password sango-pass -Version $Version -ExtraArguments $Extra
        if ($r.ExitCode -ne 0) { throw "mosquitto_pub failed: $($r.Output)" }
    }

    # A bounded background publisher: one message every 50 ms, at most 600, until stopped.
    function Start-Feeder([string] $Topic) {
        $script = Join-Path $TestDrive "feeder-$([guid]::NewGuid().ToString('N')).sh"
        @"
for i in `$(seq 1 600); do
  mosquitto_pub -h 127.0.0.1 -p $($broker.Ports.Plain) -u sango -P sango-pass -q 1 -t '$Topic' -m feed-`$i || exit 1
  sleep 0.05
done
"@ | Set-Content -LiteralPath $script
        Start-Process -FilePath bash -ArgumentList $script -PassThru
    }

    # Proves the session no longer gets messages on $Topic: a retained control message published after them
    # arrives on the same connection, so anything still subscribed would have arrived before it.
    function Assert-NoLongerSubscribed([string] $Topic) {
        1..3 | ForEach-Object { Send $Topic "late-$_" }
        $control = New-UniqueTopic -Prefix 'sango/control'
        Send $control 'control' -Retain
        $before = $session.MessagesReceived
        (Receive-SangoMessage -Topic $control -Count 1 -TimeoutSeconds 10).Payload | Should -Be 'control'
        $session.MessagesReceived | Should -Be ($before + 1)
    }
}

AfterAll {
    Get-SangoSession | Disconnect-Sango -ErrorAction SilentlyContinue
    Stop-AllSangoTestBrokers
}

Describe 'Receive-SangoMessage' {
    It 'emits what mosquitto_pub publishes as SangoMessage objects' {
        $topic = New-UniqueTopic
        Send $topic 'grüße' -Retain
        $m = Receive-SangoMessage -Topic $topic -Count 1 -TimeoutSeconds 10
        $m | Should -BeOfType ([SangoPS.Messages.SangoMessage])
        $m.Topic | Should -Be $topic
        $m.Payload | Should -Be 'grüße'
        $m.PayloadBytes | Should -Be ([Text.Encoding]::UTF8.GetBytes('grüße'))
        $m.Size | Should -Be 7
        $m.QoS | Should -Be 1
        $m.Retain | Should -BeTrue
        $m.Endpoint | Should -Be $session.ConnectedEndpoint
        ([datetime]::Now - $m.ReceivedAt).TotalMinutes | Should -BeLessThan 1
        $session.SeenTopics | Should -Contain $topic
    }

    It 'carries MQTT 5 content type and user properties' {
        $topic = New-UniqueTopic
        Send $topic '{"a":1}' -Retain -Version mqttv5 -Extra @('-D', 'publish', 'content-type', 'application/json', '-D', 'publish', 'user-property', 'site', 'tokyo')
        $m = Receive-SangoMessage -Topic $topic -Count 1 -TimeoutSeconds 10
        $m.ContentType | Should -Be 'application/json'
        $m.UserProperties['site'] | Should -Be 'tokyo'
    }

    It 'parses JSON payloads with -AsJson, and reports a payload that is not JSON without stopping' {
        $base = New-UniqueTopic
        Send "$base/1" '{"host":"web1","load":[0.5,0.25]}' -Retain
        Send "$base/2" 'not json' -Retain
        $got = Receive-SangoMessage -Topic "$base/#" -Count 2 -TimeoutSeconds 10 -AsJson -ErrorVariable errs -ErrorAction SilentlyContinue
        $got.Count | Should -Be 1
        $got[0].Payload.host | Should -Be 'web1'
        $got[0].Payload.load | Should -Be @(0.5, 0.25)
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'InvalidJsonPayload,*'
        $errs[0].TargetObject.Topic | Should -Be "$base/2"
    }

    It 'acts live in a pipeline: Select-Object -First 3 ends it and it unsubscribes' {
        $topic = New-UniqueTopic
        $feeder = Start-Feeder $topic
        try {
            $got = Receive-SangoMessage -Topic $topic -TimeoutSeconds 20 | Select-Object -First 3
        }
        finally { if (-not $feeder.HasExited) { $feeder.Kill() }; $feeder.WaitForExit(5000) | Out-Null }
        $got.Count | Should -Be 3
        $got.Payload | ForEach-Object { $_ | Should -Match '^feed-\d+$' }
        Assert-NoLongerSubscribed $topic
    }

    It 'emits each message as it arrives to ForEach-Object' {
        $topic = New-UniqueTopic
        $feeder = Start-Feeder $topic
        try {
            $seen = [Collections.Generic.List[string]]::new()
            Receive-SangoMessage -Topic $topic -Count 4 -TimeoutSeconds 20 | ForEach-Object { $seen.Add($_.Payload) }
        }
        finally { if (-not $feeder.HasExited) { $feeder.Kill() }; $feeder.WaitForExit(5000) | Out-Null }
        $seen.Count | Should -Be 4
    }

    It 'stops after -TimeoutSeconds; with -Count it reports ReceiveTimeout for what did not arrive' {
        $base = New-UniqueTopic
        Send "$base/a" 'one' -Retain
        Send "$base/b" 'two' -Retain
        $got = Receive-SangoMessage -Topic "$base/#" -Count 5 -TimeoutSeconds 2 -ErrorVariable errs -ErrorAction SilentlyContinue
        $got.Count | Should -Be 2
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ReceiveTimeout,*'
        $errs[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
        $errs[0].Exception.Message | Should -Match 'Received 2 of 5'
        $quiet = Receive-SangoMessage -Topic "$base/#" -TimeoutSeconds 1 -ErrorVariable errs2
        $quiet.Count | Should -Be 2
        $errs2.Count | Should -Be 0
    }

    It 'subscribes to several filters with + and # wildcards' {
        $base = New-UniqueTopic
        Send "$base/web1/cpu" 'c' -Retain
        Send "$base/web1/mem" 'm' -Retain
        Send "$base/x/y/z" 'deep' -Retain
        $got = Receive-SangoMessage -Topic "$base/+/cpu", "$base/x/#" -Count 2 -TimeoutSeconds 10
        ($got.Payload | Sort-Object) | Should -Be @('c', 'deep')
    }

    It 'refuses an invalid filter with InvalidTopicFilter before subscribing' {
        $err = { Receive-SangoMessage -Topic 'a/b#' -Count 1 } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidTopicFilter,*'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.TargetObject | Should -Be 'a/b#'
    }

    It 'ends within a second on Ctrl+C (StopProcessing) and unsubscribes' {
        $topic = New-UniqueTopic
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$(Join-Path (Get-Module SangoPS).ModuleBase 'SangoPS.psd1')'; Receive-SangoMessage -Session `$args[0] -Topic '$topic'").AddArgument($session)
            $async = $ps.BeginInvoke()
            # Running and subscribed once a message published now comes through.
            $before = $session.MessagesReceived
            Wait-SangoCondition -TimeoutSeconds 10 -IntervalMilliseconds 100 -Because 'the receiver to get a message' -Condition {
                Send $topic 'ping'
                $session.MessagesReceived -gt $before
            } | Out-Null
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 1
            $async.IsCompleted | Should -BeTrue
        }
        finally { $ps.Dispose() }
        Assert-NoLongerSubscribed $topic
    }

    It 'counts received messages on the session' {
        $topic = New-UniqueTopic
        Send $topic 'x' -Retain
        $before = $session.MessagesReceived
        Receive-SangoMessage -Topic $topic -Count 1 -TimeoutSeconds 10 | Out-Null
        $session.MessagesReceived | Should -Be ($before + 1)
    }
}
