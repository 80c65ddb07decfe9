# Connect-Sango over TLS and secure WebSocket against mosquitto with the fixture's own PKI.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-SangoModuleUnderTest
    $script:cred = New-TestCredential
    $script:pki = Get-SangoTestPki
    $script:ca = $pki.CaFile
    $script:good = Start-SangoTestBroker -Name tls -Plain -Tls wildcard -Wss wildcard -MutualTls
    $script:bad = @{}
    foreach ($name in 'cn-wildcard', 'wrong-host', 'expired', 'self-signed', 'incomplete-chain', 'not-for-servers') {
        $bad[$name] = Start-SangoTestBroker -Name $name -Tls $name
    }

    function Get-Refusal([string] $Endpoint, [hashtable] $Extra = @{}) {
        $err = { Connect-Sango $Endpoint -Credential $cred -TimeoutSeconds 5 @Extra } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'CertificateValidationFailed,*'
        $err.CategoryInfo.Category | Should -Be 'SecurityError'
        $err.TargetObject | Should -BeOfType ([SangoPS.Tls.CertificateReport])
        $err.TargetObject.IsValid | Should -BeFalse
        $err
    }
}

AfterAll {
    Get-SangoSession | Disconnect-Sango -ErrorAction SilentlyContinue
    Stop-AllSangoTestBrokers
}

Describe 'Connect-Sango over TLS' {
    AfterEach { Get-SangoSession | Disconnect-Sango }

    It 'connects over mqtts with -CaFile and delivers to a plain-MQTT subscriber and back' {
        $s = Connect-Sango $good.TlsUri -Credential $cred -CaFile $ca
        $s.ConnectedEndpoint | Should -Be "mqtts://localhost:$($good.Ports.Tls)"
        $topic = New-UniqueTopic
        $sub = Start-MosquittoSub -Broker $good -Topic $topic -User sango -Password sango-pass -Qos 1
        'over tls' | Publish-SangoMessage -Topic $topic
        (Wait-MosquittoSubCount $sub -Count 1).Payload | Should -Be 'over tls'
        $back = New-UniqueTopic
        $r = Invoke-MosquittoPub -Broker $good -Topic $back -Message 'from plain' -Qos 1 -Retain -User sango -Password sango-pass
        $r.ExitCode | Should -Be 0
        (Receive-SangoMessage -Topic $back -Count 1 -TimeoutSeconds 10).Payload | Should -Be 'from plain'
    }

    It 'connects over secure WebSocket with -CaFile and delivers to a plain-MQTT subscriber' {
        $s = Connect-Sango $good.WssUri -Credential $cred -CaFile $ca
        $s.ConnectedEndpoint | Should -Be "wss://localhost:$($good.Ports.Wss)/mqtt"
        $topic = New-UniqueTopic
        $sub = Start-MosquittoSub -Broker $good -Topic $topic -User sango -Password sango-pass -Qos 1
        'over wss' | Publish-SangoMessage -Topic $topic
        (Wait-MosquittoSubCount $sub -Count 1).Payload | Should -Be 'over wss'
    }

    It 'tells the negotiated TLS version and cipher suite in -Verbose and on the session (<Scheme>, <Suite>)' -TestCases @(
        @{ Scheme = 'mqtts'; Suite = 'TLS_CHACHA20_POLY1305_SHA256' }, @{ Scheme = 'wss'; Suite = 'TLS_CHACHA20_POLY1305_SHA256' },
        @{ Scheme = 'mqtts'; Suite = 'TLS_AES_128_GCM_SHA256' }, @{ Scheme = 'wss'; Suite = 'TLS_AES_128_GCM_SHA256' }) {
        # The broker accepts only this one suite, so the report must be what was really negotiated.
        $b = Start-SangoTestBroker -Name "tls-$Suite" -Tls wildcard -Wss wildcard -Tls13CipherSuite $Suite
        try {
            $uri = if ($Scheme -eq 'wss') { $b.WssUri } else { $b.TlsUri }
            $s = Connect-Sango $uri -Credential $cred -CaFile $ca -Verbose 4>&1 |
                Tee-Object -Variable story | Where-Object { $_ -is [SangoPS.Sessions.SangoSession] }
            $s.TlsProtocol | Should -Be 'Tls13'
            $s.CipherSuite | Should -Be $Suite
            ($story | Out-String) | Should -Match ([regex]::Escape("TLS with $uri`: Tls13, cipher suite $Suite."))
            'after the handshake' | Publish-SangoMessage -Topic (New-UniqueTopic) -PassThru | Should -Not -BeNullOrEmpty
        }
        finally {
            Get-SangoSession | Disconnect-Sango
            Stop-SangoTestBroker $b
        }
    }

    It 'leaves TlsProtocol and CipherSuite empty for plain MQTT' {
        $s = Connect-Sango $good.PlainUri -Credential $cred
        $s.TlsProtocol | Should -BeNullOrEmpty
        $s.CipherSuite | Should -BeNullOrEmpty
    }

    It 'accepts the wildcard certificate for a name one label below it (-TlsServerName)' {
        $s = Connect-Sango $good.TlsUri -Credential $cred -CaFile $ca -TlsServerName 'a.sango.test' -Verbose 4>&1 |
            Tee-Object -Variable story | Where-Object { $_ -is [SangoPS.Sessions.SangoSession] }
        $s.IsConnected | Should -BeTrue
        ($story | Out-String) | Should -Match "'a\.sango\.test' matched '\*\.sango\.test'"
    }

    It 'accepts a certificate whose wildcard is only in the subject CN (no DNS names), as the seed''s broker had' {
        $s = Connect-Sango $bad['cn-wildcard'].TlsUri -Credential $cred -CaFile $ca -TlsServerName 'a.sango.test'
        $s.IsConnected | Should -BeTrue
    }

    It 'refuses a name two labels below the wildcard and explains that a wildcard covers exactly one label' {
        $err = Get-Refusal $good.TlsUri @{ CaFile = $ca; TlsServerName = 'a.b.sango.test' }
        $err.Exception.Message | Should -Match '\*\.sango\.test'
        $err.Exception.Message | Should -Match 'a\.b\.sango\.test'
        $err.Exception.Message | Should -Match 'exactly one label'
    }

    It 'refuses a certificate from an untrusted issuer, naming the issuer and -CaFile' {
        $err = Get-Refusal $good.TlsUri
        $err.TargetObject.IsTrusted | Should -BeFalse
        $err.Exception.Message | Should -Match 'SangoPS Test CA'
        $err.Exception.Message | Should -Match '-CaFile'
    }

    It 'refuses a certificate for another domain, listing its names and the name expected' {
        $err = Get-Refusal $bad['wrong-host'].TlsUri @{ CaFile = $ca }
        $err.TargetObject.IsHostNameMatch | Should -BeFalse
        $err.Exception.Message | Should -Match '\*\.wrong\.test'
        $err.Exception.Message | Should -Match 'localhost'
    }

    It 'refuses an expired certificate with its validity dates and today''s date' {
        $err = Get-Refusal $bad['expired'].TlsUri @{ CaFile = $ca }
        $err.TargetObject.IsTimeValid | Should -BeFalse
        $err.Exception.Message | Should -Match 'expired'
        $err.Exception.Message | Should -Match '2021-01-01'
        $err.Exception.Message | Should -Match ([datetime]::UtcNow.ToString('yyyy-MM-dd'))
    }

    It 'refuses a self-signed certificate and says so' {
        $err = Get-Refusal $bad['self-signed'].TlsUri @{ CaFile = $ca }
        $err.Exception.Message | Should -Match 'self-signed'
    }

    It 'refuses a server that does not send its intermediate certificate (incomplete chain)' {
        $err = Get-Refusal $bad['incomplete-chain'].TlsUri @{ CaFile = $ca }
        $err.Exception.Message | Should -Match 'incomplete|intermediate'
    }

    It 'refuses a certificate that is not meant for servers' {
        $err = Get-Refusal $bad['not-for-servers'].TlsUri @{ CaFile = $ca }
        $err.Exception.Message | Should -Match 'not meant for servers|server authentication'
    }

    It 'sends -TlsServerName as SNI, over mqtts and wss' -TestCases @(@{ Scheme = 'mqtts'; Path = '' }, @{ Scheme = 'wss'; Path = '/mqtt' }) {
        param($Scheme, $Path)
        # openssl picks the certificate by SNI: the wildcard one for a.sango.test, the wrong-host one otherwise.
        $port = Get-FreeTcpPort
        $server = Start-Process openssl -PassThru -RedirectStandardOutput (Join-Path $TestDrive "sni-$Scheme.out") -RedirectStandardError (Join-Path $TestDrive "sni-$Scheme.err") -ArgumentList @(
            's_server', '-accept', "$port", '-quiet', '-www',
            '-cert', $pki.Servers['wrong-host'].CertFile, '-key', $pki.Servers['wrong-host'].KeyFile,
            '-servername', 'a.sango.test', '-cert2', $pki.Servers['wildcard'].CertFile, '-key2', $pki.Servers['wildcard'].KeyFile)
        try {
            Wait-SangoCondition -TimeoutSeconds 10 -Because 'openssl s_server to listen' -Condition { Test-SangoTcpPort $port } | Out-Null
            $endpoint = "${Scheme}://localhost:$port$Path"
            # The right name: the server answers with the wildcard certificate, which passes (then MQTT fails: it is no broker).
            $err = { Connect-Sango $endpoint -CaFile $ca -TlsServerName 'a.sango.test' -TimeoutSeconds 5 } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -Not -BeLike 'CertificateValidationFailed,*'
            # Another name in the same wildcard domain: the server answers with its default certificate, which is refused.
            $err = { Connect-Sango $endpoint -CaFile $ca -TlsServerName 'b.sango.test' -TimeoutSeconds 5 } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -BeLike 'CertificateValidationFailed,*'
            $err.Exception.Message | Should -Match '\*\.wrong\.test'
        }
        finally { if (-not $server.HasExited) { $server.Kill() }; $server.WaitForExit(5000) | Out-Null }
    }

    It 'connects with -SkipCertificateCheck, warns once and shows it on the session' {
        $s = Connect-Sango $bad['self-signed'].TlsUri -Credential $cred -SkipCertificateCheck -WarningVariable warnings -WarningAction SilentlyContinue
        $s.IsConnected | Should -BeTrue
        $s.IsCertificateCheckSkipped | Should -BeTrue
        @($warnings | Where-Object { "$_" -match 'certificate checks are skipped' }).Count | Should -Be 1
        'x' | Publish-SangoMessage -Topic (New-UniqueTopic) -WarningVariable more -WarningAction SilentlyContinue
        @($more | Where-Object { "$_" -match 'skipped' }).Count | Should -Be 0
    }

    It 'refuses a bad CA file with a clear error' {
        $empty = Join-Path $TestDrive 'empty.pem'
        Set-Content $empty ''
        $err = { Connect-Sango $good.TlsUri -Credential $cred -CaFile $empty } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'CaFileInvalid,*'
        $err.Exception.Message | Should -Match ([regex]::Escape($empty))
    }
}

Describe 'Client certificates (mutual TLS)' {
    BeforeAll {
        $script:client = $pki.Client
        $script:pass = ConvertTo-SecureString $client.Passphrase -AsPlainText -Force
        function Assert-Works($session) {
            $session.IsConnected | Should -BeTrue
            $topic = New-UniqueTopic
            $sub = Start-MosquittoSub -Broker $good -Topic $topic -User sango -Password sango-pass -Qos 1
            'mtls' | Publish-SangoMessage -Session $session -Topic $topic
            (Wait-MosquittoSubCount $sub -Count 1).Payload | Should -Be 'mtls'
            Disconnect-Sango $session
        }
    }

    It 'is refused without a client certificate' {
        { Connect-Sango $good.MutualTlsUri -CaFile $ca -TimeoutSeconds 5 } | Should -Throw
    }

    It 'works with a PEM certificate and an unencrypted PEM key' {
        Assert-Works (Connect-Sango $good.MutualTlsUri -CaFile $ca -ClientCertificatePath $client.CertFile -ClientKeyPath $client.KeyFile)
    }

    It 'works with an encrypted PKCS#8 key and -ClientKeyPassword' {
        Assert-Works (Connect-Sango $good.MutualTlsUri -CaFile $ca -ClientCertificatePath $client.CertFile -ClientKeyPath $client.EncryptedPkcs8KeyFile -ClientKeyPassword $pass)
    }

    It 'works with a traditional encrypted RSA key (openssl genrsa -des3)' {
        Get-Content $client.EncryptedRsaKeyFile -TotalCount 3 | Should -Contain 'Proc-Type: 4,ENCRYPTED'
        Assert-Works (Connect-Sango $good.MutualTlsUri -CaFile $ca -ClientCertificatePath $client.CertFile -ClientKeyPath $client.EncryptedRsaKeyFile -ClientKeyPassword $pass)
    }

    It 'works with one PFX file and its password' {
        Assert-Works (Connect-Sango $good.MutualTlsUri -CaFile $ca -ClientCertificatePath $client.PfxFile -ClientKeyPassword $pass)
    }

    It 'works with an X509Certificate2 object' {
        $cert = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($client.PfxFile, $client.Passphrase)
        Assert-Works (Connect-Sango $good.MutualTlsUri -CaFile $ca -ClientCertificate $cert)
    }

    It 'works with a thumbprint from the CurrentUser\My store' {
        $cert = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($client.PfxFile, $client.Passphrase,
            [System.Security.Cryptography.X509Certificates.X509KeyStorageFlags]::Exportable -bor [System.Security.Cryptography.X509Certificates.X509KeyStorageFlags]::PersistKeySet)
        $store = [System.Security.Cryptography.X509Certificates.X509Store]::new('My', 'CurrentUser')
        $store.Open('ReadWrite')
        try {
            $store.Add($cert)
            Assert-Works (Connect-Sango $good.MutualTlsUri -CaFile $ca -ClientCertificateThumbprint $cert.Thumbprint)
        }
        finally { $store.Remove($cert); $store.Dispose() }
    }

    It 'says clearly when the key password is missing or wrong, before connecting' {
        $err = { Connect-Sango $good.MutualTlsUri -CaFile $ca -ClientCertificatePath $client.CertFile -ClientKeyPath $client.EncryptedPkcs8KeyFile } | Should -Throw -PassThru
        $err.Exception.Message | Should -Match 'ClientKeyPassword'
        $wrong = ConvertTo-SecureString 'not-it' -AsPlainText -Force
        $err = { Connect-Sango $good.MutualTlsUri -CaFile $ca -ClientCertificatePath $client.CertFile -ClientKeyPath $client.EncryptedPkcs8KeyFile -ClientKeyPassword $wrong } | Should -Throw -PassThru
        $err.Exception.Message | Should -Match 'password'
        $err.Exception.Message | Should -Not -Match 'not-it'
    }
}
