#Requires -Version 7.4
# Pester 6 tests for Test-SangoCertificate: a throw-away openssl PKI (CA, ECDSA P-256 wildcard server certificate,
# one for the wrong domain, one expired) and a mosquitto broker with an MQTT-over-TLS and a websockets-over-TLS
# listener on loopback. Every wait is a bounded poll.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1')
    Import-SangoModuleUnderTest

    function Invoke-OpenSsl {
        # Runs openssl in the PKI folder (openssl ca resolves its database relative to it) and fails loudly.
        param([Parameter(Mandatory)] [string[]] $ArgumentList)
        Push-Location -LiteralPath $script:Pki
        try {
            $output = & openssl @ArgumentList 2>&1
            if ($LASTEXITCODE -ne 0) { throw "openssl $($ArgumentList -join ' ') failed ($LASTEXITCODE): $($output -join [Environment]::NewLine)" }
        }
        finally { Pop-Location }
    }

    function Get-FreePort {
        # The OS picks a free loopback port; it is released right away for mosquitto to bind.
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
    }

    function Wait-TcpPort {
        param([int] $Port, [System.Diagnostics.Process] $Process, [string] $LogFile, [int] $TimeoutSeconds = 10)
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
        while ([DateTime]::UtcNow -lt $deadline) {
            if ($Process.HasExited) { break }
            $client = [System.Net.Sockets.TcpClient]::new()
            try {
                if ($client.ConnectAsync('127.0.0.1', $Port).Wait(500)) { return }
            }
            catch { $null = $_ }
            finally { $client.Dispose() }
            Start-Sleep -Milliseconds 50
        }
        $log = if (Test-Path -LiteralPath $LogFile) { Get-Content -LiteralPath $LogFile -Tail 20 | Out-String } else { '(no log)' }
        throw "mosquitto did not accept connections on port $Port within $TimeoutSeconds s (exited: $($Process.HasExited)). Log:`n$log"
    }

    $script:Pki = Join-Path $TestDrive 'pki'
    $script:Certs = Join-Path $TestDrive 'certs'
    $null = New-Item -ItemType Directory -Path $script:Pki, $script:Certs -Force
    $script:CaFile = Join-Path $script:Pki 'ca.crt'

    # Our own openssl configuration, so the extensions do not depend on the system's openssl.cnf.
    Set-Content -LiteralPath (Join-Path $script:Pki 'pki.cnf') -Value @"
[ req ]
distinguished_name = dn
prompt             = no
[ dn ]
CN = placeholder

[ ca_ext ]
basicConstraints     = critical, CA:TRUE
keyUsage             = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ server_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
subjectAltName         = DNS:*.sango.test, DNS:localhost, IP:127.0.0.1

[ wrong_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
subjectAltName         = DNS:broker.other.example

[ ca ]
default_ca = sango_ca
[ sango_ca ]
database        = index.txt
new_certs_dir   = .
serial          = serial
default_md      = sha256
policy          = any_name
unique_subject  = no
copy_extensions = none
[ any_name ]
commonName = supplied
"@
    Set-Content -LiteralPath (Join-Path $script:Pki 'index.txt') -Value $null
    Set-Content -LiteralPath (Join-Path $script:Pki 'serial') -Value '1000'

    $ec = @('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out')
    Invoke-OpenSsl ($ec + 'ca.key')
    Invoke-OpenSsl @('req', '-x509', '-new', '-config', 'pki.cnf', '-key', 'ca.key', '-subj', '/CN=Sango Pester CA', '-days', '30', '-extensions', 'ca_ext', '-out', 'ca.crt')
    Invoke-OpenSsl ($ec + 'server.key')
    Invoke-OpenSsl @('req', '-new', '-config', 'pki.cnf', '-key', 'server.key', '-subj', '/CN=broker.sango.test', '-out', 'server.csr')
    Invoke-OpenSsl @('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', '2001', '-days', '30',
        '-extfile', 'pki.cnf', '-extensions', 'server_ext', '-out', (Join-Path $script:Certs 'wildcard.crt'))
    Invoke-OpenSsl @('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', '2002', '-days', '30',
        '-extfile', 'pki.cnf', '-extensions', 'wrong_ext', '-out', (Join-Path $script:Certs 'wrong-domain.crt'))
    # openssl x509 -days cannot go back in time; openssl ca takes explicit dates.
    Invoke-OpenSsl @('ca', '-config', 'pki.cnf', '-batch', '-notext', '-in', 'server.csr', '-cert', 'ca.crt', '-keyfile', 'ca.key',
        '-startdate', '20200101000000Z', '-enddate', '20200201000000Z', '-extensions', 'server_ext', '-extfile', 'pki.cnf',
        '-out', (Join-Path $script:Certs 'expired.crt'))
    $script:ServerCert = Join-Path $script:Certs 'wildcard.crt'

    $script:TlsPort = Get-FreePort
    $script:WssPort = Get-FreePort
    $broker = Join-Path $TestDrive 'broker'
    $null = New-Item -ItemType Directory -Path $broker
    $script:BrokerLog = Join-Path $broker 'mosquitto.log'
    $conf = Join-Path $broker 'mosquitto.conf'
    $serverKey = Join-Path $script:Pki 'server.key'
    Set-Content -LiteralPath $conf -Value @"
user root
per_listener_settings false
allow_anonymous true
persistence false
log_dest file $script:BrokerLog

listener $script:TlsPort 127.0.0.1
protocol mqtt
certfile $script:ServerCert
keyfile $serverKey

listener $script:WssPort 127.0.0.1
protocol websockets
certfile $script:ServerCert
keyfile $serverKey
"@
    $mosquitto = @('/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto') | Where-Object { Test-Path -LiteralPath $_ } | Select-Object -First 1
    if (-not $mosquitto) { $mosquitto = (Get-Command mosquitto -ErrorAction Stop).Source }
    # /bin/sh execs mosquitto with its output in the log folder, so the process object is mosquitto itself.
    $start = [System.Diagnostics.ProcessStartInfo]::new('/bin/sh')
    foreach ($argument in '-c', 'exec "$0" -c "$1" >>"$2" 2>&1 </dev/null', $mosquitto, $conf, $script:BrokerLog) {
        $start.ArgumentList.Add($argument)
    }
    $start.UseShellExecute = $false
    $script:Broker = [System.Diagnostics.Process]::Start($start)
    Wait-TcpPort -Port $script:TlsPort -Process $script:Broker -LogFile $script:BrokerLog
    Wait-TcpPort -Port $script:WssPort -Process $script:Broker -LogFile $script:BrokerLog

    $script:Mqtts = "mqtts://127.0.0.1:$($script:TlsPort)"
    $script:Wss = "wss://127.0.0.1:$($script:WssPort)/mqtt"
}

AfterAll {
    if ($script:Broker -and -not $script:Broker.HasExited) {
        $script:Broker.Kill()
        $null = $script:Broker.WaitForExit(5000)
    }
    if ($script:Broker) { $script:Broker.Dispose() }
}

Describe 'Test-SangoCertificate against a live broker' {
    It 'reports an mqtts endpoint with the TLS details, the key and the wildcard that matched' {
        $report = Test-SangoCertificate -Endpoint $script:Mqtts -TlsServerName a.sango.test -CaFile $script:CaFile

        $report | Should -HaveCount 1
        $report | Should -BeOfType ([SangoPS.Tls.CertificateReport])
        $report.IsValid | Should -BeTrue -Because ($report.Problems -join ' ')
        $report.Endpoint | Should -Be "mqtts://127.0.0.1:$($script:TlsPort)"
        $report.TlsProtocol | Should -Match '^Tls1[23]$'
        $report.CipherSuite | Should -Match '^TLS_'
        $report.KeyAlgorithm | Should -Be 'ECDSA P-256'
        $report.HostName | Should -Be 'a.sango.test'
        $report.MatchedName | Should -Be '*.sango.test'
        $report.Chain | Should -Be @('CN=broker.sango.test', 'CN=Sango Pester CA')
        $report.DnsNames | Should -Be @('*.sango.test', 'localhost')
        $report.IPAddresses | Should -Be @('127.0.0.1')
    }

    It 'reports a wss endpoint from the TLS handshake on its port' {
        $report = Test-SangoCertificate $script:Wss -TlsServerName a.sango.test -CaFile $script:CaFile

        $report.IsValid | Should -BeTrue -Because ($report.Problems -join ' ')
        $report.Endpoint | Should -Be "wss://127.0.0.1:$($script:WssPort)/mqtt"
        $report.TlsProtocol | Should -Match '^Tls1[23]$'
        $report.CipherSuite | Should -Not -BeNullOrEmpty
        $report.KeyAlgorithm | Should -Be 'ECDSA P-256'
        $report.MatchedName | Should -Be '*.sango.test'
        $report.Chain[0] | Should -Be 'CN=broker.sango.test'
    }

    It 'matches the IP address of the endpoint against the IP SAN when no -TlsServerName is given' {
        $report = Test-SangoCertificate "127.0.0.1:$($script:TlsPort)" -CaFile $script:CaFile

        $report.IsValid | Should -BeTrue
        $report.MatchedName | Should -Be 'IP:127.0.0.1'
    }

    It 'says the issuer is not trusted and points to -CaFile when no CA file is given' {
        $report = Test-SangoCertificate $script:Mqtts -TlsServerName a.sango.test

        $report.IsTrusted | Should -BeFalse
        $report.IsValid | Should -BeFalse
        $report.IsHostNameMatch | Should -BeTrue
        $problem = $report.Problems | Where-Object { $_ -like '*-CaFile*' }
        $problem | Should -Not -BeNullOrEmpty
        $problem | Should -Match 'Sango Pester CA'
    }

    It 'reports a name the certificate is not for, without an error' {
        $report = Test-SangoCertificate $script:Mqtts -TlsServerName a.b.sango.test -CaFile $script:CaFile -ErrorVariable errors

        $errors | Should -HaveCount 0
        $report.IsValid | Should -BeFalse
        $report.IsHostNameMatch | Should -BeFalse
        $report.IsTrusted | Should -BeTrue
        ($report.Problems -join ' ') | Should -Match 'a\.b\.sango\.test'
    }

    It 'writes a non-terminating error for an unreachable endpoint and still reports the next piped one' {
        $closed = Get-FreePort
        $reports = "127.0.0.1:$closed", $script:Mqtts |
            Test-SangoCertificate -TlsServerName a.sango.test -CaFile $script:CaFile -ErrorVariable errors -ErrorAction SilentlyContinue

        $reports | Should -HaveCount 1
        $reports.Endpoint | Should -Be "mqtts://127.0.0.1:$($script:TlsPort)"
        $reports.IsValid | Should -BeTrue
        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'ConnectFailed,*'
        $errors[0].CategoryInfo.Category | Should -Be 'ConnectionError'
        $errors[0].TargetObject | Should -Be "127.0.0.1:$closed"
        $errors[0].Exception.Message | Should -Match "mqtts://127\.0\.0\.1:$closed"
    }

    It 'refuses an endpoint without TLS with a clear error' {
        $null = Test-SangoCertificate "mqtt://127.0.0.1:$($script:TlsPort)" -ErrorVariable errors -ErrorAction SilentlyContinue

        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'InvalidEndpoint,*'
        $errors[0].Exception.Message | Should -Match 'has no TLS: use mqtts:// or wss://'
    }

    It 'takes endpoints by property name' {
        $reports = [pscustomobject]@{ Endpoint = $script:Mqtts }, [pscustomobject]@{ Endpoint = $script:Wss } |
            Test-SangoCertificate -TlsServerName a.sango.test -CaFile $script:CaFile

        $reports | Should -HaveCount 2
        $reports.IsValid | Should -Be @($true, $true)
    }

    It 'returns one boolean per input with -Quiet' {
        $closed = Get-FreePort
        $answers = $script:Mqtts, "127.0.0.1:$closed", $script:Wss |
            Test-SangoCertificate -TlsServerName a.sango.test -CaFile $script:CaFile -Quiet -ErrorVariable errors

        $answers | Should -HaveCount 3
        $answers | ForEach-Object { $_ | Should -BeOfType ([bool]) }
        $answers | Should -Be @($true, $false, $true)
        $errors | Should -HaveCount 0
        Test-SangoCertificate $script:Mqtts -TlsServerName a.sango.test -Quiet | Should -BeFalse
    }

    It 'probes the endpoints of a session that is not connected, with its CA and TLS server name' {
        $endpoints = [System.Collections.Generic.List[SangoPS.Endpoints.SangoEndpoint]]::new()
        $endpoints.Add([SangoPS.Endpoints.SangoEndpoint]::Parse($script:Mqtts))
        $endpoints.Add([SangoPS.Endpoints.SangoEndpoint]::Parse($script:Wss))
        $options = [SangoPS.Sessions.SangoSessionOptions]::new($endpoints)
        $options.CaCertificates = [System.Security.Cryptography.X509Certificates.X509Certificate2Collection]::new()
        $options.CaCertificates.ImportFromPemFile($script:CaFile)
        $options.CaFilePath = $script:CaFile
        $options.TlsServerName = 'a.sango.test'
        # Sessions are made by Connect-Sango, which connects; this test needs one that never did, so it calls the
        # library's internal constructor.
        $session = [SangoPS.Sessions.SangoSession].GetConstructor([System.Reflection.BindingFlags]'NonPublic, Instance', @([SangoPS.Sessions.SangoSessionOptions])).Invoke(@($options))
        try {
            $reports = $session | Test-SangoCertificate

            $reports | Should -HaveCount 2
            $reports.Endpoint | Should -Be @("mqtts://127.0.0.1:$($script:TlsPort)", "wss://127.0.0.1:$($script:WssPort)/mqtt")
            $reports.MatchedName | Should -Be @('*.sango.test', '*.sango.test')
            $reports.IsValid | Should -Be @($true, $true)
        }
        finally { $session.Dispose() }
    }

    It 'stops with a clear error when -CaFile does not exist' {
        $missing = Join-Path $TestDrive 'no-such-ca.pem'
        { Test-SangoCertificate $script:Mqtts -CaFile $missing -ErrorAction Stop } |
            Should -Throw -ErrorId 'CaFileInvalid,*' -ExpectedMessage "*$missing*does not exist*"
    }
}

Describe 'Test-SangoCertificate on certificate files' {
    It 'checks every file piped from Get-ChildItem against -HostName' {
        $reports = Get-ChildItem -Path $script:Certs -Filter *.crt |
            Sort-Object Name |
            Test-SangoCertificate -HostName a.sango.test -CaFile $script:CaFile

        $reports | Should -HaveCount 3
        $expired, $wildcard, $wrong = $reports

        $expired.Subject | Should -Be 'CN=broker.sango.test'
        $expired.IsTimeValid | Should -BeFalse
        $expired.IsValid | Should -BeFalse
        $expired.DaysRemaining | Should -BeLessThan 0
        ($expired.Problems -join ' ') | Should -Match 'expired on 2020-02-01'
        $expired.Endpoint | Should -BeNullOrEmpty

        $wildcard.IsValid | Should -BeTrue -Because ($wildcard.Problems -join ' ')
        $wildcard.MatchedName | Should -Be '*.sango.test'
        $wildcard.KeyAlgorithm | Should -Be 'ECDSA P-256'
        $wildcard.TlsProtocol | Should -BeNullOrEmpty

        $wrong.IsHostNameMatch | Should -BeFalse
        $wrong.IsTrusted | Should -BeTrue
        $wrong.DnsNames | Should -Be @('broker.other.example')
        ($wrong.Problems -join ' ') | Should -Match 'a\.sango\.test'
    }

    It 'resolves wildcards in -Path and answers with booleans under -Quiet' {
        $answers = Test-SangoCertificate -Path (Join-Path $script:Certs '*.crt') -HostName localhost -CaFile $script:CaFile -Quiet

        $answers | Should -HaveCount 3
        ($answers | Where-Object { $_ }) | Should -HaveCount 1
    }

    It 'treats the certificates after the first in a PEM file as its chain' {
        $bundle = Join-Path $TestDrive 'with-chain.pem'
        Get-Content -LiteralPath $script:ServerCert, $script:CaFile | Set-Content -LiteralPath $bundle

        $report = Test-SangoCertificate -Path $bundle -HostName localhost

        $report.Subject | Should -Be 'CN=broker.sango.test'
        $report.Chain | Should -Be @('CN=broker.sango.test', 'CN=Sango Pester CA')
        $report.IsTrusted | Should -BeFalse -Because 'a root sent along by the server is not trusted by that'
    }

    It 'writes a non-terminating error for a file without a certificate and goes on' {
        $reports = (Join-Path $script:Pki 'server.key'), $script:ServerCert |
            ForEach-Object { [pscustomobject]@{ FullName = $_ } } |
            Test-SangoCertificate -HostName a.sango.test -CaFile $script:CaFile -ErrorVariable errors -ErrorAction SilentlyContinue

        $reports | Should -HaveCount 1
        $reports.IsValid | Should -BeTrue
        $errors | Should -HaveCount 1
        $errors[0].Exception.Message | Should -Match 'server\.key'
        $errors[0].Exception.Message | Should -Match 'holds no certificate'
    }
}
