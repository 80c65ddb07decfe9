# Publish-SangoMessage against real mosquitto brokers; what it sends is checked with mosquitto_sub.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-SangoModuleUnderTest
    $script:cred = New-TestCredential
    $script:broker = Start-SangoTestBroker -Name publish -Plain
    $script:limited = Start-SangoTestBroker -Name limited -Plain -MaxPacketSize 2048
    $script:session = Connect-Sango $broker.PlainUri -Credential $cred -Name publish

    function Start-Sub([string] $Topic, $On = $broker) {
        Start-MosquittoSub -Broker $On -Topic $Topic -User sango -Password sango-pass -Qos 1
    }
}

AfterAll {
    Get-SangoSession | Disconnect-Sango -ErrorAction SilentlyContinue
    Stop-AllSangoTestBrokers
}

Describe 'Publish-SangoMessage' {
    It 'publishes each line of a file, in order, and mosquitto_sub receives them' {
        $topic = New-UniqueTopic
        $sub = Start-Sub $topic
        $file = Join-Path $TestDrive 'lines.txt'
        1..200 | ForEach-Object { "line $_" } | Set-Content $file
        Get-Content $file | Publish-SangoMessage -Topic $topic
        $got = Wait-MosquittoSubCount $sub -Count 200
        $got.Payload | Should -Be (1..200 | ForEach-Object { "line $_" })
        $got[0].Qos | Should -Be 1
    }

    It 'sends strings as UTF-8, byte arrays as they are, and objects as compact JSON like ConvertTo-Json -Compress' {
        $topic = New-UniqueTopic
        $sub = Start-Sub $topic
        $row = [pscustomobject]@{ host = 'web1'; load = 0.25; up = $true; tags = @('a', 'b') }
        Publish-SangoMessage -Topic $topic -Payload 'grüße 日本'
        Publish-SangoMessage -Topic $topic -Payload ([byte[]](0, 1, 2, 255))
        $row | Publish-SangoMessage -Topic $topic
        $got = Wait-MosquittoSubCount $sub -Count 3
        $got[0].PayloadBytes | Should -Be ([Text.Encoding]::UTF8.GetBytes('grüße 日本'))
        $got[1].PayloadBytes | Should -Be ([byte[]](0, 1, 2, 255))
        $got[2].Payload | Should -Be ($row | ConvertTo-Json -Compress)
    }

    It 'publishes Import-Csv rows as JSON objects' {
        $topic = New-UniqueTopic
        $sub = Start-Sub $topic
        $csv = Join-Path $TestDrive 'x.csv'
        "host,cpu`nweb1,12`nweb2,34" | Set-Content $csv
        Import-Csv $csv | Publish-SangoMessage -Topic $topic
        $got = Wait-MosquittoSubCount $sub -Count 2
        ($got.Payload | ConvertFrom-Json).host | Should -Be @('web1', 'web2')
        $got[1].Payload | Should -Be '{"host":"web2","cpu":"34"}'
    }

    It 'binds Topic and Payload by property name' {
        $base = New-UniqueTopic
        $sub = Start-Sub "$base/#"
        @(
            [pscustomobject]@{ Topic = "$base/a"; Payload = 'first' }
            [pscustomobject]@{ Topic = "$base/b"; Payload = 'second' }
        ) | Publish-SangoMessage
        $got = Wait-MosquittoSubCount $sub -Count 2
        $got.Topic | Should -Be @("$base/a", "$base/b")
        $got.Payload | Should -Be @('first', 'second')
    }

    Context 'an input object that carries its own session' {
        BeforeAll {
            # A second session, to another broker: where a message arrives shows which session sent it. Connecting
            # makes it the default, so the first session is made the default again by connecting it last.
            $script:other = Connect-Sango $limited.PlainUri -Credential $cred -Name other
            $script:first = Connect-Sango $broker.PlainUri -Credential $cred -Name first
        }
        AfterAll { $other, $first | Disconnect-Sango }

        It 'publishes each object through the session in its Session property' {
            $topic = New-UniqueTopic
            $here = Start-Sub $topic
            $there = Start-Sub $topic -On $limited
            @(
                [pscustomobject]@{ Session = $other; Payload = 'to other' }
                [pscustomobject]@{ Payload = 'to default' }
                [pscustomobject]@{ Session = $other; Payload = 'to other again' }
            ) | Publish-SangoMessage -Topic $topic
            (Wait-MosquittoSubCount $there -Count 2).Payload | Should -Be @('to other', 'to other again')
            (Wait-MosquittoSubCount $here -Count 1).Payload | Should -Be 'to default'
        }

        It 'lets -Session win over the Session property' {
            $topic = New-UniqueTopic
            $here = Start-Sub $topic
            [pscustomobject]@{ Session = $other; Payload = 'by -Session' } | Publish-SangoMessage -Topic $topic -Session $first -PassThru |
                ForEach-Object Endpoint | Should -Be $first.ConnectedEndpoint
            (Wait-MosquittoSubCount $here -Count 1).Payload | Should -Be 'by -Session'
        }

        It 'never searches a string for a session, even one decorated with a Session note property' {
            $topic = New-UniqueTopic
            $here = Start-Sub $topic
            $line = 'a line' | Add-Member -NotePropertyName Session -NotePropertyValue $other -PassThru
            $line | Publish-SangoMessage -Topic $topic -PassThru | ForEach-Object Endpoint | Should -Be $first.ConnectedEndpoint
            (Wait-MosquittoSubCount $here -Count 1).Payload | Should -Be 'a line'
        }

        It 'does not bind -Session from the pipeline' {
            $attributes = (Get-Command Publish-SangoMessage).Parameters['Session'].Attributes.Where({ $_ -is [System.Management.Automation.ParameterAttribute] })
            $attributes | Should -Not -BeNullOrEmpty
            $attributes.ValueFromPipelineByPropertyName | Should -Not -Contain $true
            $attributes.ValueFromPipeline | Should -Not -Contain $true
        }

        It 'reports InvalidSession for a Session property that holds no session, and sends the rest' {
            $topic = New-UniqueTopic
            $here = Start-Sub $topic
            $bad = [pscustomobject]@{ Session = 'other'; Payload = 'not sent' }
            $errors = $null
            $bad, [pscustomobject]@{ Payload = 'sent' } | Publish-SangoMessage -Topic $topic -ErrorVariable errors -ErrorAction SilentlyContinue
            $errors.Count | Should -Be 1
            $errors[0].FullyQualifiedErrorId | Should -BeLike 'InvalidSession,*'
            $errors[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $errors[0].TargetObject | Should -Be $bad
            $errors[0].Exception.Message | Should -Match 'System\.String, not a SangoPS session'
            (Wait-MosquittoSubCount $here -Count 1).Payload | Should -Be 'sent'
            $first.IsConnected | Should -BeTrue
        }
    }

    It 'returns one result per message with -PassThru, and sets the retain flag with -Retain' {
        $topic = New-UniqueTopic
        $results = 'a', 'bb' | Publish-SangoMessage -Topic $topic -QoS 1 -Retain -PassThru
        $results.Count | Should -Be 2
        $results[1].Topic | Should -Be $topic
        $results[1].PayloadBytes | Should -Be 2
        $results[1].QoS | Should -Be 1
        $results[1].Retain | Should -BeTrue
        $results[1].Endpoint | Should -Be $session.ConnectedEndpoint
        $results[1].ReasonCode | Should -BeIn @('Success', 'NoMatchingSubscribers')
        $retained = Start-Sub $topic
        (Wait-MosquittoSubCount $retained -Count 1)[0] | Should -Match 'bb'
        (Wait-MosquittoSubCount $retained -Count 1)[0].Retain | Should -BeTrue
        $qos0 = Publish-SangoMessage -Topic $topic -Payload x -QoS 0 -PassThru
        $qos0.ReasonCode | Should -Be 'Sent'
        $qos2 = Publish-SangoMessage -Topic $topic -Payload x -QoS 2 -PassThru
        $qos2.ReasonCode | Should -BeIn @('Success', 'NoMatchingSubscribers')
    }

    It 'publishes nothing with -WhatIf' {
        $topic = New-UniqueTopic
        $sub = Start-Sub $topic
        Publish-SangoMessage -Topic $topic -Payload 'not sent' -WhatIf
        Publish-SangoMessage -Topic $topic -Payload 'control'
        $got = Wait-MosquittoSubCount $sub -Count 1
        $got.Payload | Should -Be @('control')
    }

    Context 'ShouldProcess, which is asked only when -WhatIf, a confirmation or its verbose line can apply' {
        It 'publishes nothing under $WhatIfPreference' {
            $topic = New-UniqueTopic
            $sub = Start-Sub $topic
            $WhatIfPreference = $true
            try { 'not sent' | Publish-SangoMessage -Topic $topic }
            finally { $WhatIfPreference = $false }
            Publish-SangoMessage -Topic $topic -Payload 'control'
            (Wait-MosquittoSubCount $sub -Count 1).Payload | Should -Be @('control')
        }

        It 'writes its verbose line for every message with -Verbose' {
            $topic = New-UniqueTopic
            $records = 'a', 'b' | Publish-SangoMessage -Topic $topic -Verbose 4>&1
            $performing = @($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like "Performing the operation ""Publish 1 bytes at QoS 1"" on target ""$topic""*" })
            $performing.Count | Should -Be 2
        }

        It 'asks for confirmation when $ConfirmPreference reaches its impact (Medium)' {
            # In a -NonInteractive pwsh a confirmation cannot be asked: the command fails instead of publishing.
            $topic = New-UniqueTopic
            $sub = Start-Sub $topic
            $script = @"
Import-Module '$((Get-Module SangoPS).Path)'
`$null = Connect-Sango '$($broker.PlainUri)' -Credential ([pscredential]::new('sango', (ConvertTo-SecureString 'sango-pass' -AsPlainText -Force)))
`$ConfirmPreference = 'Medium'
try { Publish-SangoMessage -Topic '$topic' -Payload 'not sent' } catch { 'REFUSED: ' + `$_.Exception.Message }
Publish-SangoMessage -Topic '$topic' -Payload 'confirmed' -Confirm:`$false
Disconnect-Sango
"@
            $r = Invoke-SangoPwsh -ArgumentList '-Command', $script -TimeoutSeconds 45
            $r.Output | Should -Match 'REFUSED: .*NonInteractive'
            (Wait-MosquittoSubCount $sub -Count 1).Payload | Should -Be @('confirmed')
        }
    }

    It 'refuses invalid topics with InvalidTopic, the topic as target, and goes on with the rest' {
        $topic = New-UniqueTopic
        $sub = Start-Sub $topic
        $bad = @('', 'a/+/b', 'a/#', "a$([char]0)b", "a$([char]0xD800)b", ('t' * 65536))
        $inputs = @($bad | ForEach-Object { [pscustomobject]@{ Topic = $_; Payload = 'bad' } }) + [pscustomobject]@{ Topic = $topic; Payload = 'good' }
        $inputs | Publish-SangoMessage -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs.Count | Should -Be $bad.Count
        foreach ($i in 0..($bad.Count - 1)) {
            $errs[$i].FullyQualifiedErrorId | Should -BeLike 'InvalidTopic,*'
            $errs[$i].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $errs[$i].TargetObject | Should -BeExactly $bad[$i]
            $errs[$i].ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
        }
        (Wait-MosquittoSubCount $sub -Count 1).Payload | Should -Be @('good')
        $session.IsConnected | Should -BeTrue
    }

    It 'sends a payload exactly at -MaxPayloadBytes and refuses one byte more, keeping the session connected' {
        $topic = New-UniqueTopic
        $sub = Start-Sub $topic
        $atLimit = 'a' * 51200
        $over = 'b' * 51201
        $atLimit, $over, 'after' | Publish-SangoMessage -Topic $topic -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'PayloadTooLarge,*'
        $errs[0].CategoryInfo.Category | Should -Be 'LimitsExceeded'
        $errs[0].TargetObject | Should -BeExactly $over
        $errs[0].Exception.Message | Should -Match '51,201 bytes'
        $errs[0].Exception.Message | Should -Match '51,200 bytes'
        $errs[0].Exception.Message | Should -Match '-MaxPayloadBytes'
        $got = Wait-MosquittoSubCount $sub -Count 2
        $got[0].PayloadBytes.Count | Should -Be 51200
        $got[1].Payload | Should -Be 'after'
        $session.IsConnected | Should -BeTrue
    }

    It 'takes the broker''s Maximum Packet Size into account: the largest packet is sent, one byte more is refused before sending' {
        $s = Connect-Sango $limited.PlainUri -Credential $cred -Name limited
        try {
            $s.BrokerMaximumPacketSize | Should -Be 2048
            $topic = 'sango/limit'
            # PUBLISH at QoS 1, MQTT 5: 1 header byte + 2 remaining-length bytes + 2 + 11 topic + 2 packet id
            # + 1 properties length + the message-id user property (1 + 2 + 8 'sango-id' + 2 + 22).
            $room = 2048 - (1 + 2 + 2 + $topic.Length + 2 + 1 + (1 + 2 + 8 + 2 + 22))
            $s.MaxPayloadBytes | Should -BeLessOrEqual 2048
            $sub = Start-Sub $topic -On $limited
            ('x' * $room), ('y' * ($room + 1)), 'after' | Publish-SangoMessage -Session $s -Topic $topic -ErrorVariable errs -ErrorAction SilentlyContinue
            $errs.Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'PayloadTooLarge,*'
            $errs[0].Exception.Message | Should -Match '2,048 bytes'
            $errs[0].Exception.Message | Should -Match 'Maximum Packet Size'
            $errs[0].Exception.Message | Should -Match ("{0:N0} bytes for a payload" -f $room)
            $got = Wait-MosquittoSubCount $sub -Count 2
            $got[0].PayloadBytes.Count | Should -Be $room
            $got[1].Payload | Should -Be 'after'
            $s.IsConnected | Should -BeTrue
        }
        finally { Disconnect-Sango $s }
    }

    It 'reports a broker''s refusal (not authorized for the topic) as PublishRejected, never as success' {
        $before = $session.MessagesPublished
        $result = 'secret' | Publish-SangoMessage -Topic 'other/forbidden' -PassThru -ErrorVariable errs -ErrorAction SilentlyContinue
        $result | Should -BeNullOrEmpty
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'PublishRejected,*'
        $errs[0].Exception.Message | Should -Match 'NotAuthorized \(135\)'
        $errs[0].TargetObject | Should -Be 'secret'
        $session.MessagesPublished | Should -Be $before
        $session.IsConnected | Should -BeTrue
    }

    It 'finishes when the queue fills while connected: the pipeline waits for room instead of hanging or dropping' {
        $s = Connect-Sango $broker.PlainUri -Credential $cred -MaxQueuedMessages 10 -Name 'small-queue'
        try {
            $topic = New-UniqueTopic
            $sub = Start-Sub $topic
            # In a runspace of its own, with a bound: the failure this guards against is a hang.
            $streams = $null
            $null = Invoke-SangoRunspace -Script "1..2000 | ForEach-Object { ""m`$_"" } | Publish-SangoMessage -Session `$args[0] -Topic '$topic'" -ArgumentList $s -Streams ([ref]$streams)
            $streams.Error.Count | Should -Be 0
            $s.MessagesPublished | Should -Be 2000
            $s.QueuedMessages | Should -Be 0
            (Wait-MosquittoSubCount $sub -Count 2000 -TimeoutSeconds 30).Count | Should -Be 2000
        }
        finally { Disconnect-Sango $s }
    }

    It 'keeps at most about 1,024 messages queued while connected, however fast the pipeline produces them' {
        $s = Connect-Sango $broker.PlainUri -Credential $cred -Name 'short-queue'
        try {
            $topic = New-UniqueTopic
            $sub = Start-Sub $topic
            # The producer runs on the pipeline thread between Publish-SangoMessage's records, so it sees the queue
            # as the cmdlet leaves it. QoS 2 (four packets a message) keeps the broker slower than the pipeline.
            $script:deepest = 0
            1..6000 | ForEach-Object { $script:deepest = [math]::Max($script:deepest, $s.QueuedMessages); "q$_" } |
                Publish-SangoMessage -Session $s -Topic $topic -QoS 2
            $script:deepest | Should -BeGreaterThan 900 -Because 'the broker must have fallen behind for this test to mean anything'
            $script:deepest | Should -BeLessOrEqual (1024 + 256 + 1) -Because 'queued plus in flight stays within the connected depth and the window'
            (Wait-MosquittoSubCount $sub -Count 6000 -TimeoutSeconds 60).Count | Should -Be 6000
        }
        finally { Disconnect-Sango $s }
    }

    It 'counts published messages on the session' {
        $before = $session.MessagesPublished
        1..25 | ForEach-Object { "n$_" } | Publish-SangoMessage -Topic (New-UniqueTopic)
        $session.MessagesPublished | Should -Be ($before + 25)
    }

    It 'is safe to use from several runspaces at once' {
        $topic = New-UniqueTopic
        $sub = Start-Sub $topic
        $s = $session
        $module = Join-Path (Get-Module SangoPS).ModuleBase 'SangoPS.psd1'
        1..4 | ForEach-Object -ThrottleLimit 4 -Parallel {
            Import-Module $using:module
            $n = $_
            1..250 | ForEach-Object { "$n-$_" } | Publish-SangoMessage -Session $using:s -Topic $using:topic
        }
        $got = Wait-MosquittoSubCount $sub -Count 1000 -TimeoutSeconds 20
        ($got.Payload | Sort-Object -Unique).Count | Should -Be 1000
        foreach ($n in 1..4) {
            # Each runspace's own messages arrive in its order.
            $mine = @($got.Payload | Where-Object { $_ -like "$n-*" } | ForEach-Object { [int]($_ -split '-')[1] })
            $mine | Should -Be (1..250)
        }
    }

    It 'relays messages from one broker to another, byte for byte, with Receive-SangoMessage | Publish-SangoMessage' {
        $other = Start-SangoTestBroker -Name relay-target -Plain
        $b = Connect-Sango $other.PlainUri -Credential $cred -Name target
        try {
            $base = New-UniqueTopic -Prefix 'sango/relay'
            $sub = Start-Sub "$base/#" -On $other
            # Retained on the source, so the receive below finds them without racing the publisher.
            Publish-SangoMessage -Session $session -Topic "$base/text" -Payload 'hello' -Retain
            Publish-SangoMessage -Session $session -Topic "$base/binary" -Payload ([byte[]](0, 200, 255)) -Retain
            Receive-SangoMessage -Session $session -Topic "$base/#" -Count 2 -TimeoutSeconds 10 | Publish-SangoMessage -Session $b
            $got = Wait-MosquittoSubCount $sub -Count 2 | Sort-Object Topic
            $got.Topic | Should -Be @("$base/binary", "$base/text")
            $got[0].PayloadBytes | Should -Be ([byte[]](0, 200, 255))
            $got[1].Payload | Should -Be 'hello'
            $got[0].Retain | Should -BeFalse
        }
        finally { Disconnect-Sango $b }
    }
}

Describe 'Publish-SangoMessage -Batch' {
    It 'packs 10,000 telemetry objects into few messages, each a JSON array as full as the limit allows, in order and complete' {
        $topic = New-UniqueTopic
        $sub = Start-Sub $topic
        $samples = 1..10000 | ForEach-Object { [pscustomobject]@{ host = 'web01'; seq = $_; cpu = 0.25; disk = 71.5; at = '2026-11-28T09:00:00Z' } }
        $results = $samples | Publish-SangoMessage -Topic $topic -Batch -PassThru
        ($results | Measure-Object SampleCount -Sum).Sum | Should -Be 10000
        $results.Count | Should -BeLessThan 30
        $got = Wait-MosquittoSubCount $sub -Count $results.Count
        $got.Count | Should -Be $results.Count
        $sequence = foreach ($message in $got) { ($message.Payload | ConvertFrom-Json).seq }
        $sequence | Should -Be (1..10000)
        $sampleBytes = [Text.Encoding]::UTF8.GetByteCount(($samples[0] | ConvertTo-Json -Compress))
        foreach ($message in $got | Select-Object -SkipLast 1) {
            $message.PayloadBytes.Count | Should -BeLessOrEqual $session.MaxPayloadBytes
            # Full: one more sample (and its comma) would not have fitted.
            $message.PayloadBytes.Count + $sampleBytes + 1 | Should -BeGreaterThan ($session.MaxPayloadBytes - 5)
        }
    }

    It 'caps the inputs per message with -BatchSize, which implies -Batch' {
        $topic = New-UniqueTopic
        $sub = Start-Sub $topic
        $results = 1..10 | Publish-SangoMessage -Topic $topic -BatchSize 3 -PassThru
        $results.SampleCount | Should -Be @(3, 3, 3, 1)
        (Wait-MosquittoSubCount $sub -Count 4).Payload | Should -Be @('[1,2,3]', '[4,5,6]', '[7,8,9]', '[10]')
    }

    It 'renders strings as JSON strings so every message is a valid JSON array' {
        $topic = New-UniqueTopic
        $sub = Start-Sub $topic
        'plain', 'with "quotes"', 'grüße' | Publish-SangoMessage -Topic $topic -Batch
        $got = Wait-MosquittoSubCount $sub -Count 1
        ($got[0].Payload | ConvertFrom-Json) | Should -Be @('plain', 'with "quotes"', 'grüße')
    }

    It 'keeps each message within the broker''s Maximum Packet Size for the topic' {
        $s = Connect-Sango $limited.PlainUri -Credential $cred -Name 'limited-batch'
        try {
            $topic = 'sango/limit'
            $sub = Start-Sub $topic -On $limited
            $results = 1..300 | ForEach-Object { "reading $_" } | Publish-SangoMessage -Session $s -Topic $topic -Batch -PassThru -ErrorVariable errs
            $errs.Count | Should -Be 0
            ($results | Measure-Object SampleCount -Sum).Sum | Should -Be 300
            $room = 2048 - (1 + 2 + 2 + $topic.Length + 2 + 1 + (1 + 2 + 8 + 2 + 22))
            $results.PayloadBytes | ForEach-Object { $_ | Should -BeLessOrEqual $room }
            ($results.PayloadBytes | Measure-Object -Maximum).Maximum | Should -BeGreaterThan ($room - 14)
            $got = Wait-MosquittoSubCount $sub -Count $results.Count
            ($got | ForEach-Object { $_.Payload | ConvertFrom-Json }) | Should -Be (1..300 | ForEach-Object { "reading $_" })
            $s.IsConnected | Should -BeTrue
        }
        finally { Disconnect-Sango $s }
    }

    It 'refuses an input too large for any message with PayloadTooLarge and the input as target, and sends the rest' {
        $topic = New-UniqueTopic
        $sub = Start-Sub $topic
        $big = 'x' * 51199
        'before', $big, 'after' | Publish-SangoMessage -Topic $topic -Batch -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'PayloadTooLarge,*'
        $errs[0].TargetObject | Should -BeExactly $big
        $errs[0].Exception.Message | Should -Match '-Batch'
        (Wait-MosquittoSubCount $sub -Count 1).Payload | Should -Be '["before","after"]'
        $session.IsConnected | Should -BeTrue
    }

    It 'reports a refused batch message once, with every input it carried as the target' {
        'a', 'b', 'c' | Publish-SangoMessage -Topic 'other/forbidden' -Batch -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'PublishRejected,*'
        $errs[0].TargetObject | Should -Be @('a', 'b', 'c')
    }

    It 'starts a new message when the topic bound by property name changes' {
        $t1 = New-UniqueTopic
        $t2 = New-UniqueTopic
        $sub1 = Start-Sub $t1
        $sub2 = Start-Sub $t2
        $rows = @(
            [pscustomobject]@{ Topic = $t1; Payload = 1 }, [pscustomobject]@{ Topic = $t1; Payload = 2 },
            [pscustomobject]@{ Topic = $t2; Payload = 3 }, [pscustomobject]@{ Topic = $t1; Payload = 4 })
        $results = $rows | Publish-SangoMessage -Batch -PassThru
        $results.Topic | Should -Be @($t1, $t2, $t1)
        (Wait-MosquittoSubCount $sub1 -Count 2).Payload | Should -Be @('[1,2]', '[4]')
        (Wait-MosquittoSubCount $sub2 -Count 1).Payload | Should -Be '[3]'
    }

    It 'publishes nothing with -WhatIf' {
        $topic = New-UniqueTopic
        $sub = Start-Sub $topic
        1..5 | Publish-SangoMessage -Topic $topic -Batch -WhatIf
        'marker' | Publish-SangoMessage -Topic $topic
        (Wait-MosquittoSubCount $sub -Count 1).Payload | Should -Be 'marker'
    }

    It 'shows progress while a long batch publish packs its inputs' {
        $s = Connect-Sango $broker.PlainUri -Credential $cred -Name 'batch-progress'
        try {
            # The inputs arrive over about 1.5 s, so the command runs past the 1 s after which it shows progress.
            $streams = $null
            $out = Invoke-SangoRunspace -Script "`$ProgressPreference = 'Continue'; 1..30 | ForEach-Object { Start-Sleep -Milliseconds 50; `$_ } | Publish-SangoMessage -Session `$args[0] -Topic '$(New-UniqueTopic)' -Batch -PassThru" -ArgumentList $s -Streams ([ref]$streams)
            $out.SampleCount | Should -Be 30
            $progress = @($streams.Progress | Where-Object Activity -eq 'Publish-SangoMessage -Batch')
            $packing = @($progress | Where-Object RecordType -eq 'Processing')
            $packing.Count | Should -BeGreaterThan 0 -Because 'progress is shown while packing, not only at the end'
            $packing[0].StatusDescription | Should -Match 'input\(s\) packed into'
            ($progress | Select-Object -Last 1).RecordType | Should -Be 'Completed'
        }
        finally { Disconnect-Sango $s }
    }
}

Describe 'Get-SangoUsage' {
    It 'counts messages, samples, bytes and failures of the session' {
        $s = Connect-Sango $broker.PlainUri -Credential $cred -Name 'usage'
        try {
            $topic = New-UniqueTopic
            1..4 | ForEach-Object { 'x' * 10 } | Publish-SangoMessage -Session $s -Topic $topic
            1..6 | Publish-SangoMessage -Session $s -Topic $topic -BatchSize 3
            'denied' | Publish-SangoMessage -Session $s -Topic 'other/forbidden' -ErrorAction SilentlyContinue
            $usage = Get-SangoUsage -Session $s
            $usage | Should -BeOfType ([SangoPS.Sessions.SangoUsage])
            $usage.SessionName | Should -Be 'usage'
            $usage.MessagesPublished | Should -Be 6
            $usage.SamplesPublished | Should -Be 10
            $usage.BytesPublished | Should -Be (4 * 10 + 2 * '[1,2,3]'.Length)
            $usage.PublishFailures | Should -Be 1
            $usage.SamplesPerMessage | Should -BeGreaterThan 1.6
            $usage.FillRatio | Should -BeGreaterThan 0
            $usage.MaxPayloadBytes | Should -Be $s.MaxPayloadBytes
        }
        finally { Disconnect-Sango $s }
    }

    It 'counts received messages and their bytes' {
        $s = Connect-Sango $broker.PlainUri -Credential $cred -Name 'usage-rx'
        try {
            $topic = New-UniqueTopic
            $r = Invoke-MosquittoPub -Broker $broker -Topic $topic -Message 'twelve bytes' -Qos 1 -Retain -User sango -Password sango-pass
            $r.ExitCode | Should -Be 0
            $null = Receive-SangoMessage -Session $s -Topic $topic -Count 1 -TimeoutSeconds 10
            $usage = $s | Get-SangoUsage
            $usage.MessagesReceived | Should -Be 1
            $usage.BytesReceived | Should -Be 12
        }
        finally { Disconnect-Sango $s }
    }

    It 'reports on the default session, on every session with -All, and shows a table' {
        $a = Connect-Sango $broker.PlainUri -Credential $cred -Name 'usage-a'
        $b = Connect-Sango $broker.PlainUri -Credential $cred -Name 'usage-b'
        try {
            (Get-SangoUsage).SessionName | Should -Be 'usage-b'
            (Get-SangoUsage -All).SessionName | Should -Contain 'usage-a'
            (Get-SangoUsage -All).SessionName | Should -Contain 'usage-b'
            $table = Get-SangoUsage | Out-String -Width 150
            $table | Should -Match 'Session\s+Since\s+Published\s+Samples\s+Sent KB\s+Fill\s+Failed\s+Received'
        }
        finally { Disconnect-Sango $a; Disconnect-Sango $b }
    }

    It 'fails with NoSession when there is no session' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$(Join-Path (Get-Module SangoPS).ModuleBase 'SangoPS.psd1')'; Get-SangoUsage")
            $null = $ps.Invoke()
            $ps.Streams.Error.Count | Should -Be 1
            $ps.Streams.Error[0].FullyQualifiedErrorId | Should -BeLike 'NoSession,*'
            $ps.Streams.Error[0].Exception.Message | Should -Match 'run Connect-Sango first'
        }
        finally { $ps.Dispose() }
    }
}
