# How SangoPS behaves as a PowerShell citizen: views, completion, progress, debug and verbose streams.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-SangoModuleUnderTest
    $script:cred = New-TestCredential
    $script:broker = Start-SangoTestBroker -Name manners -Plain

    function Complete([string] $line) {
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
    }
}

AfterAll {
    Get-SangoSession | Disconnect-Sango -ErrorAction SilentlyContinue
    Stop-AllSangoTestBrokers
}

Describe 'Output views' {
    It 'shows sessions, messages, publish results, spools and certificate reports with the module''s own views' {
        $s = Connect-Sango $broker.PlainUri -Credential $cred -Name 'viewed'
        try {
            $table = $s | Out-String -Width 120
            $table | Should -Match 'ConnectedEndpoint'
            $table | Should -Match 'viewed'
            $topic = New-UniqueTopic
            $result = 'line one' | Publish-SangoMessage -Topic $topic -Retain -PassThru
            ($result | Out-String -Width 120) | Should -Match 'Retain\s+Samples\s+ReasonCode'
            $m = Receive-SangoMessage -Topic $topic -Count 1 -TimeoutSeconds 10
            $text = $m | Out-String -Width 120
            $text | Should -Match 'ReceivedAt'
            $text | Should -Match 'line one'
            (Get-SangoSpool -Path $TestDrive | Out-String -Width 120) | Should -Match 'Corrupt'
            $pki = Get-SangoTestPki
            $report = Test-SangoCertificate -Path $pki.Servers['wildcard'].CertFile -HostName 'a.sango.test' -CaFile $pki.CaFile
            ($report | Out-String -Width 120) | Should -Match 'MatchedName\s+: \*\.sango\.test'
        }
        finally { Disconnect-Sango $s }
    }
}

Describe 'Argument completion' {
    BeforeAll {
        $script:s = Connect-Sango $broker.PlainUri -Credential $cred -Name 'completed-session'
        $script:topic = New-UniqueTopic -Prefix 'sango/complete'
        'x' | Publish-SangoMessage -Topic $topic -Retain
        Receive-SangoMessage -Topic $topic -Count 1 -TimeoutSeconds 10 | Out-Null
    }
    AfterAll { Disconnect-Sango $s }

    It 'completes -Session and -Name with open sessions' {
        Complete 'Publish-SangoMessage -Session comp' | Should -Contain "(Get-SangoSession -Name 'completed-session')"
        Complete 'Get-SangoSession -Name comp' | Should -Contain "'completed-session'"
    }

    It 'completes -Topic with topics the sessions have seen' {
        Complete 'Publish-SangoMessage -Topic sango/compl' | Should -Contain "'$topic'"
        Complete 'Receive-SangoMessage -Topic sango/compl' | Should -Contain "'$topic'"
    }

    It 'completes -Endpoint with the sessions'' endpoints' {
        Complete 'Connect-Sango -Endpoint mqtt://127' | Should -Contain "'$($broker.PlainUri)'"
    }
}

Describe 'Progress, verbose and debug' {
    It 'reports progress while Receive-SangoMessage -Count runs' {
        $s = Connect-Sango $broker.PlainUri -Credential $cred
        $topic = New-UniqueTopic
        1..3 | ForEach-Object { Publish-SangoMessage -Topic "$topic/$_" -Payload "p$_" -Retain }
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("`$ProgressPreference = 'Continue'; Import-Module '$(Join-Path (Get-Module SangoPS).ModuleBase 'SangoPS.psd1')'; Receive-SangoMessage -Session `$args[0] -Topic '$topic/#' -Count 3 -TimeoutSeconds 10").AddArgument($s)
            $out = $ps.Invoke()
            $out.Count | Should -Be 3
            $progress = @($ps.Streams.Progress)
            $progress.Count | Should -BeGreaterThan 0
            $progress[0].Activity | Should -Be 'Receive-SangoMessage'
            ($progress | Select-Object -Last 1).RecordType | Should -Be 'Completed'
        }
        finally { $ps.Dispose(); Disconnect-Sango $s }
    }

    It 'writes packet-level events to the debug stream when debug output is on, and no password anywhere' {
        # -Debug would prompt (Inquire) in this non-interactive host; the preference variable is the same switch.
        $all = & {
            $DebugPreference = 'Continue'
            $s = Connect-Sango $broker.PlainUri -Credential $cred -Verbose
            'dbg' | Publish-SangoMessage -Session $s -Topic (New-UniqueTopic)
            Disconnect-Sango $s
        } 5>&1 4>&1 | Out-String
        $all | Should -Match 'TX CONNECT'
        $all | Should -Match 'RX CONNACK'
        $all | Should -Match "TX PUBLISH 'sango/test/"
        $all | Should -Match 'RX PUBACK'
        $all | Should -Match 'Connected to mqtt://127\.0\.0\.1'
        $all | Should -Not -Match 'sango-pass'
    }

    It 'writes no packet events without -Debug' {
        $all = & {
            $s = Connect-Sango $broker.PlainUri -Credential $cred
            'quiet' | Publish-SangoMessage -Session $s -Topic (New-UniqueTopic)
            Disconnect-Sango $s
        } 5>&1 | Out-String
        $all | Should -Not -Match 'TX PUBLISH'
    }
}
