# Connect-Sango, Get-SangoSession, Disconnect-Sango against a real mosquitto started by the fixture.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-SangoModuleUnderTest
    $script:broker = Start-SangoTestBroker -Name connect -Plain
    $script:plain = $broker.PlainUri
    $script:cred = New-TestCredential
}

AfterAll {
    Get-SangoSession | Disconnect-Sango -ErrorAction SilentlyContinue
    Stop-AllSangoTestBrokers
}

Describe 'Connect-Sango' {
    AfterEach { Get-SangoSession | Disconnect-Sango }

    It 'connects with a user name and password and returns a session that shows what it is connected to' {
        $s = Connect-Sango -Endpoint $plain -Credential $cred -Name 'main'
        $s | Should -BeOfType ([SangoPS.Sessions.SangoSession])
        $s.IsConnected | Should -BeTrue
        $s.Name | Should -Be 'main'
        $s.ConnectedEndpoint | Should -Be "mqtt://127.0.0.1:$($broker.Ports.Plain)"
        $s.Endpoints | Should -Be @("mqtt://127.0.0.1:$($broker.Ports.Plain)")
        $s.ProtocolVersion | Should -Be '5.0'
        $s.ClientId | Should -Match '^sangops-[0-9a-f]{12}$'
        $s.MaxPayloadBytes | Should -Be 51200
        $s.BrokerMaximumPacketSize | Should -BeNullOrEmpty
        $s.MessagesPublished | Should -Be 0
        $s.MessagesReceived | Should -Be 0
        Wait-BrokerLog $broker "New client connected .* as $([regex]::Escape($s.ClientId)) .*u'sango'"
    }

    It 'makes the last connected session the default and falls back to the previous one on disconnect' {
        $first = Connect-Sango $plain -Credential $cred -Name first
        $second = Connect-Sango $plain -Credential $cred -Name second
        (Get-SangoSession -Default).Name | Should -Be 'second'
        @(Get-SangoSession).Name | Should -Be @('first', 'second')
        Disconnect-Sango -Session $second
        $second.IsConnected | Should -BeFalse
        (Get-SangoSession -Default).Name | Should -Be 'first'
        (Get-SangoSession -Name 'fir*').Id | Should -Be $first.Id
        (Get-SangoSession -Id $first.Id).Name | Should -Be 'first'
    }

    It 'takes -ClientId, -ProtocolVersion 3.1.1, -KeepAliveSeconds and -CleanSession' {
        $s = Connect-Sango $plain -Credential $cred -ClientId 'sango-fixed-id' -ProtocolVersion '3.1.1' -KeepAliveSeconds 7 -CleanSession $false
        $s.ClientId | Should -Be 'sango-fixed-id'
        $s.ProtocolVersion | Should -Be '3.1.1'
        Wait-BrokerLog $broker "New client connected .* as sango-fixed-id \(p2, c0, k7, u'sango'\)"
    }

    It 'sends the MQTT 5 session expiry with -SessionExpirySeconds' {
        $s = Connect-Sango $plain -Credential $cred -ClientId 'sango-expiry' -SessionExpirySeconds 120 -CleanSession $false
        $s.IsConnected | Should -BeTrue
        Wait-BrokerLog $broker "New client connected .* as sango-expiry \(p5, c0, k60, u'sango'\)"
    }

    It 'refuses a wrong password with AuthenticationFailed, SecurityError and the broker''s reason' {
        $bad = New-TestCredential -Password 'wrong'
        $err = { Connect-Sango $plain -Credential $bad } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'AuthenticationFailed,*'
        $err.CategoryInfo.Category | Should -Be 'SecurityError'
        $err.Exception.Message | Should -Match 'BadUserNameOrPassword|NotAuthorized'
        $err.Exception.Message | Should -Not -Match 'wrong'
        $err.ErrorDetails.RecommendedAction | Should -Match '-Credential'
        Get-SangoSession | Should -BeNullOrEmpty
    }

    It 'fails at once on a wrong password even with -SpoolDirectory, instead of retrying it in the background' {
        $bad = New-TestCredential -Password 'wrong'
        $dead = "mqtt://127.0.0.1:$(Get-FreeTcpPort)"
        $err = { Connect-Sango $dead, $broker.PlainUri -Credential $bad -SpoolDirectory (Join-Path $TestDrive 'spool') -TimeoutSeconds 3 } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'AuthenticationFailed,*'
        $err.Exception.Message | Should -Match "$([regex]::Escape($dead)): .*refused"
        Get-SangoSession | Should -BeNullOrEmpty
    }

    It 'reports nothing listening as ConnectFailed with the endpoint and the OS error, within the timeout' {
        $port = Get-FreeTcpPort
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $err = { Connect-Sango "mqtt://127.0.0.1:$port" -Credential $cred -TimeoutSeconds 5 } | Should -Throw -PassThru
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 5
        $err.FullyQualifiedErrorId | Should -BeLike 'ConnectFailed,*'
        $err.CategoryInfo.Category | Should -Be 'ConnectionError'
        $err.Exception.Message | Should -Match "mqtt://127\.0\.0\.1:$port"
        $err.Exception.Message | Should -Match 'refused'
        $err.Exception.Message | Should -Not -Match 'AggregateException|   at '
    }

    It 'reports a listener that never answers MQTT as ConnectTimeout after -TimeoutSeconds' {
        # The kernel completes the TCP handshake for the listener's backlog, but nothing ever sends a CONNACK.
        $silent = [System.Net.Sockets.TcpListener]::new([ipaddress]::Loopback, 0)
        $silent.Start()
        try {
            $port = $silent.LocalEndpoint.Port
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $err = { Connect-Sango "mqtt://127.0.0.1:$port" -TimeoutSeconds 1 } | Should -Throw -PassThru
            # It waits for -TimeoutSeconds (a deadline of its own would fail the lower bound), and not much longer.
            $watch.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 0.9
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 5
            $err.FullyQualifiedErrorId | Should -BeLike 'ConnectTimeout,*'
            $err.CategoryInfo.Category | Should -Be 'OperationTimeout'
            $err.Exception.Message | Should -Match "mqtt://127\.0\.0\.1:$port.*within 1 s"
        }
        finally { $silent.Stop() }
    }

    It 'reports a name that does not resolve as ConnectFailed naming the host' {
        # The answer comes from the machine's DNS server, which may take one or two of the resolver's 5 s retries:
        # a generous timeout keeps a slow "no such name" from turning into ConnectTimeout.
        $err = { Connect-Sango 'mqtt://no-such-host.invalid:1883' -TimeoutSeconds 30 } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'ConnectFailed,*'
        $err.Exception.Message | Should -Match 'no-such-host\.invalid'
        $err.Exception.Message | Should -Match 'HostNotFound|not known|No such host|resolve|TryAgain'
    }

    It 'treats a bare host:port as mqtts and never falls back to plain MQTT' {
        $err = { Connect-Sango "127.0.0.1:$($broker.Ports.Plain)" -Credential $cred -TimeoutSeconds 5 } | Should -Throw -PassThru
        $err.Exception.Message | Should -Match "mqtts://127\.0\.0\.1:$($broker.Ports.Plain)"
        Get-SangoSession | Should -BeNullOrEmpty
    }

    It 'refuses an endpoint that is not a broker address with InvalidEndpoint' {
        $err = { Connect-Sango 'http://broker.example' } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidEndpoint,*'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.TargetObject | Should -Be 'http://broker.example'
    }

    It 'never shows the password: not in the session, its ToString, verbose output or errors' {
        $secret = 'sango-pass'
        $s = Connect-Sango $plain -Credential $cred -Verbose 4>&1 | Tee-Object -Variable all | Where-Object { $_ -is [SangoPS.Sessions.SangoSession] }
        $text = @(
            ($all | Out-String)
            ($s | Format-List * | Out-String)
            $s.ToString()
            ($s | ConvertTo-Json -Depth 3 -WarningAction SilentlyContinue)
        ) -join "`n"
        $text | Should -Match 'Connected to mqtt://127\.0\.0\.1'
        $text | Should -Not -Match $secret
        $bad = { Connect-Sango $plain -Credential (New-TestCredential -Password 'S3cr3t-Wrong') -Verbose 4>&1 } | Should -Throw -PassThru
        ($bad | Format-List * -Force | Out-String) | Should -Not -Match 'S3cr3t-Wrong'
    }
}

Describe 'Disconnect-Sango and Get-SangoSession' {
    It 'disconnects sessions from the pipeline and forgets them' {
        $a = Connect-Sango $plain -Credential $cred -Name a
        $b = Connect-Sango $plain -Credential $cred -Name b
        Get-SangoSession | Disconnect-Sango
        $a.IsConnected | Should -BeFalse
        $b.IsConnected | Should -BeFalse
        Get-SangoSession | Should -BeNullOrEmpty
    }

    It 'does nothing with -WhatIf' {
        $s = Connect-Sango $plain -Credential $cred
        Disconnect-Sango -WhatIf
        $s.IsConnected | Should -BeTrue
        Disconnect-Sango
        $s.IsConnected | Should -BeFalse
    }

    It 'reports an unknown session name as ObjectNotFound' {
        Get-SangoSession -Name 'nope' -ErrorVariable e -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $e[0].FullyQualifiedErrorId | Should -BeLike 'SessionNotFound,*'
        $e[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'fails every session cmdlet with NoSession and a hint to run Connect-Sango when there is no session' {
        Get-SangoSession | Should -BeNullOrEmpty
        $err = { Publish-SangoMessage -Topic 'sango/x' -Payload 'x' } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'NoSession,*'
        $err.Exception.Message | Should -Match 'Connect-Sango'
        $err = { Receive-SangoMessage -Count 1 } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'NoSession,*'
    }

    It 'keeps default sessions per runspace' {
        $s = Connect-Sango $plain -Credential $cred -Name 'here'
        try {
            $other = [powershell]::Create()
            try {
                $null = $other.AddScript("Import-Module '$(Join-Path (Get-Module SangoPS).ModuleBase 'SangoPS.psd1')'; @(Get-SangoSession).Count; (Publish-SangoMessage -Session `$args[0] -Topic sango/rs -Payload x -PassThru).ReasonCode").AddArgument($s)
                $result = $other.Invoke()
                $result[0] | Should -Be 0
                $result[1] | Should -BeIn @('Success', 'NoMatchingSubscribers')
            }
            finally { $other.Dispose() }
        }
        finally { Disconnect-Sango $s }
    }
}
