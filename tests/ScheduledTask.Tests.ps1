# build/examples/Send-Telemetry.ps1, the script of docs/scheduled-tasks.md, run as a scheduler runs it: a new
# pwsh -NoProfile -NonInteractive -File, against a real mosquitto broker that wants a user name and password.
# Checked: the exit code, what mosquitto_sub receives, the log (and that no password is in it), the spool.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-SangoModuleUnderTest
    $script:telemetryScript = (Resolve-Path (Join-Path $PSScriptRoot '../build/examples/Send-Telemetry.ps1')).ProviderPath
    $script:modulePath = (Get-Module SangoPS).ModuleBase

    # A password nothing else contains, so that finding it anywhere in the output is certain to be a leak.
    $script:password = 'Tel3metry-' + [guid]::NewGuid().ToString('N').Substring(0, 12)
    $script:broker = Start-SangoTestBroker -Name telemetry -Plain -Users @{ telemetry = $password }

    function New-CredentialFile([string] $Path, [string] $Secret = $password) {
        [pscredential]::new('telemetry', (ConvertTo-SecureString $Secret -AsPlainText -Force)) | Export-Clixml -LiteralPath $Path
        # What docs/scheduled-tasks.md tells Linux and macOS administrators to do.
        if (-not $IsWindows) { [IO.File]::SetUnixFileMode($Path, [IO.UnixFileMode]'UserRead, UserWrite') }
        $Path
    }
    $script:credentialFile = New-CredentialFile (Join-Path $TestDrive 'sango.cred.xml')

    function Invoke-Telemetry {
        # One scheduled run; returns the exit code, the output and the log of the run's data directory.
        param([Parameter(Mandatory)] [string] $DataDirectory, [string[]] $Endpoint = @($broker.PlainUri), [string[]] $Arguments = @(), [string] $CredentialPath = $credentialFile)
        $argv = @('-File', $telemetryScript, '-DataDirectory', $DataDirectory,
            '-ModulePath', $modulePath, '-TimeoutSeconds', '1', '-Endpoint', ($Endpoint -join ',')) + $Arguments
        if ($CredentialPath) { $argv += @('-CredentialPath', $CredentialPath) }
        $r = Invoke-SangoPwsh -ArgumentList $argv -TimeoutSeconds 45
        $r.TimedOut | Should -BeFalse -Because 'a scheduled run must end by itself'
        $log = Join-Path $DataDirectory 'logs/Send-Telemetry.log'
        [pscustomobject]@{
            ExitCode = $r.ExitCode
            Output   = $r.Output
            Log      = if (Test-Path -LiteralPath $log) { Get-Content -LiteralPath $log -Raw } else { '' }
        }
    }

    function Start-Sub([string] $Topic) {
        Start-MosquittoSub -Broker $broker -Topic $Topic -User telemetry -Password $password -Qos 1
    }

    function Get-PendingCount([string] $DataDirectory) {
        $path = Join-Path $DataDirectory 'pending.jsonl'
        if (Test-Path -LiteralPath $path) { @(Get-Content -LiteralPath $path | Where-Object { $_ }).Count } else { 0 }
    }
}

AfterAll {
    Stop-AllSangoTestBrokers
}

Describe 'Send-Telemetry.ps1 as a scheduled task' {
    It 'publishes one sample of this machine as JSON, exits 0, and logs without the password' {
        $data = Join-Path $TestDrive 'ok'
        $topic = New-UniqueTopic 'telemetry'
        $sub = Start-Sub $topic
        $run = Invoke-Telemetry -DataDirectory $data -Arguments @('-Topic', $topic)
        $run.ExitCode | Should -Be 0 -Because $run.Output

        $message = (Wait-MosquittoSubCount $sub -Count 1)[0]
        $message.Qos | Should -Be 1
        $body = $message.Payload | ConvertFrom-Json
        $body.schema | Should -Be 'sango-telemetry/1'
        $body.sentBy | Should -Be ([Environment]::MachineName.ToLowerInvariant())
        @($body.samples).Count | Should -Be 1
        $sample = $body.samples[0]
        $sample.host | Should -Be $body.sentBy
        $sample.processes | Should -BeGreaterThan 0
        $sample.memoryTotalMB | Should -BeGreaterThan 0
        $sample.disks[0].totalGB | Should -BeGreaterThan 0
        if ($IsLinux) { $sample.cpuPercent | Should -BeGreaterOrEqual 0; @($sample.load).Count | Should -Be 3 }

        $run.Log | Should -Match '\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[INFO\] Connecting to mqtt://127\.0\.0\.1:\d+ as telemetry'
        $run.Log | Should -Match 'Published 1 sample\(s\)'
        $run.Log | Should -Match 'ended with exit code 0'
        $run.Log | Should -Not -Match ([regex]::Escape($password))
        $run.Output | Should -Not -Match ([regex]::Escape($password))
        Get-PendingCount $data | Should -Be 0
        (Get-SangoSpool -Path (Join-Path $data 'spool')).Count | Should -Be 0
    }

    It 'keeps samples until the batch is full, then sends them in one message' {
        $data = Join-Path $TestDrive 'batch'
        $topic = New-UniqueTopic 'telemetry'
        $sub = Start-Sub $topic
        $first = Invoke-Telemetry -DataDirectory $data -Arguments @('-Topic', $topic, '-BatchSize', '2')
        $first.ExitCode | Should -Be 0 -Because $first.Output
        $first.Log | Should -Match 'batch holds 1 of 2 samples'
        Get-PendingCount $data | Should -Be 1
        $second = Invoke-Telemetry -DataDirectory $data -Arguments @('-Topic', $topic, '-BatchSize', '2')
        $second.ExitCode | Should -Be 0 -Because $second.Output
        $got = Wait-MosquittoSubCount $sub -Count 1
        # A control message published after the runs ended arrives next: nothing else was sent.
        Invoke-MosquittoPub -Broker $broker -Topic $topic -Message 'control' -Qos 1 -User telemetry -Password $password | Out-Null
        $got = Wait-MosquittoSubCount $sub -Count 2
        $got[1].Payload | Should -Be 'control'
        @(($got[0].Payload | ConvertFrom-Json).samples).Count | Should -Be 2
        Get-PendingCount $data | Should -Be 0
    }

    It 'splits a batch that would be over -MaxPayloadBytes into messages that each fit' {
        $data = Join-Path $TestDrive 'split'
        $null = New-Item -ItemType Directory -Path $data
        $topic = New-UniqueTopic 'telemetry'
        $sub = Start-Sub $topic
        # 150 waiting samples (about 45 KB) from runs that could not publish.
        $sample = '{"at":"2026-01-01T00:00:00Z","cpuPercent":12.5,"load":[0.5,0.4,0.3],"memoryTotalMB":16000,"memoryUsedPercent":41.2,"disks":[{"path":"/","totalGB":250.0,"freeGB":80.1,"usedPercent":68.0}],"processes":321,"uptimeSeconds":123456,"pad":"' + ('x' * 60) + '"}'
        Set-Content -LiteralPath (Join-Path $data 'pending.jsonl') -Value (@($sample) * 150)
        $limit = 16384
        $run = Invoke-Telemetry -DataDirectory $data -Arguments @('-Topic', $topic, '-MaxPayloadBytes', $limit)
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $expectedMessages = [math]::Ceiling((150 * ($sample.Length + 1) + 400) / $limit)
        $got = Wait-MosquittoSubCount $sub -Count $expectedMessages
        Start-Sleep -Milliseconds 300
        $got = @(Get-MosquittoSubOutput $sub)
        $got.Count | Should -BeIn @($expectedMessages, ($expectedMessages + 1))
        foreach ($m in $got) { $m.PayloadBytes.Length | Should -BeLessOrEqual $limit }
        ($got | ForEach-Object { @(($_.Payload | ConvertFrom-Json).samples).Count } | Measure-Object -Sum).Sum | Should -Be 151
        Get-PendingCount $data | Should -Be 0
    }

    It 'carries the samples of several machines in one message: -ForwardTo on each, -InboxDirectory on the collector' {
        $inbox = Join-Path $TestDrive 'inbox'
        $null = New-Item -ItemType Directory -Path $inbox
        $topic = New-UniqueTopic 'telemetry'
        $sub = Start-Sub $topic
        # A machine without SangoPS' credential hands its sample over (-ModulePath is given but not needed).
        $web = Invoke-Telemetry -DataDirectory (Join-Path $TestDrive 'web01') -CredentialPath '' -Arguments @('-HostName', 'web01', '-ForwardTo', $inbox)
        $web.ExitCode | Should -Be 0 -Because $web.Output
        $web.Log | Should -Match 'Handed 1 sample\(s\) to the collector'
        @(Get-ChildItem -LiteralPath $inbox -Filter '*.jsonl').Count | Should -Be 1

        $collector = Invoke-Telemetry -DataDirectory (Join-Path $TestDrive 'collector') -Arguments @('-HostName', 'collector', '-InboxDirectory', $inbox, '-Topic', $topic)
        $collector.ExitCode | Should -Be 0 -Because $collector.Output
        $body = (Wait-MosquittoSubCount $sub -Count 1)[0].Payload | ConvertFrom-Json
        $body.sentBy | Should -Be 'collector'
        @($body.samples.host) | Should -Be @('collector', 'web01')
        @(Get-ChildItem -LiteralPath $inbox) | Should -BeNullOrEmpty
    }

    It 'exits 1 when no endpoint answers, keeps the message in the spool, and the next run delivers it first' {
        $data = Join-Path $TestDrive 'offline'
        $topic = New-UniqueTopic 'telemetry'
        $closed = "mqtt://127.0.0.1:$(Get-FreeTcpPort)"
        $run = Invoke-Telemetry -DataDirectory $data -Endpoint $closed, "mqtt://127.0.0.1:$(Get-FreeTcpPort)" -Arguments @('-Topic', $topic)
        $run.ExitCode | Should -Be 1 -Because $run.Output
        $spool = Get-SangoSpool -Path (Join-Path $data 'spool')
        $spool.Count | Should -Be 1
        $run.Log | Should -Match '\[WARN\] 1 message\(s\), \d+ bytes, wait in the spool'
        $run.Log | Should -Match 'ended with exit code 1'
        $run.Log | Should -Not -Match ([regex]::Escape($password))
        Get-PendingCount $data | Should -Be 0   # handed to the spool, not kept twice

        $sub = Start-Sub $topic
        $next = Invoke-Telemetry -DataDirectory $data -Arguments @('-Topic', $topic)
        $next.ExitCode | Should -Be 0 -Because $next.Output
        $got = Wait-MosquittoSubCount $sub -Count 2
        $times = $got | ForEach-Object { [datetime](($_.Payload | ConvertFrom-Json).samples[0].at) }
        $times[0] | Should -BeLessThan $times[1] -Because 'the spooled sample goes first'
        (Get-SangoSpool -Path (Join-Path $data 'spool')).Count | Should -Be 0
    }

    It 'exits 2 on a wrong password, keeps the sample for the next run, and does not log either password' {
        $data = Join-Path $TestDrive 'wrong-password'
        $null = New-Item -ItemType Directory -Path $data
        $wrong = 'Wr0ng-' + [guid]::NewGuid().ToString('N').Substring(0, 12)
        $file = New-CredentialFile (Join-Path $data 'sango.cred.xml') -Secret $wrong
        $run = Invoke-Telemetry -DataDirectory $data -CredentialPath $file
        $run.ExitCode | Should -Be 2 -Because $run.Output
        $run.Log | Should -Match '\[ERROR\] Configuration error: Connect-Sango: AuthenticationFailed'
        Test-Path (Join-Path $data 'spool/*.sgm') | Should -BeFalse
        $run.Log | Should -Not -Match ([regex]::Escape($wrong))
        $run.Output | Should -Not -Match ([regex]::Escape($wrong))
        Get-PendingCount $data | Should -Be 1
    }

    It 'exits 2 without prompting when the credential file is missing or readable by others' {
        $data = Join-Path $TestDrive 'no-credential'
        $missing = Invoke-Telemetry -DataDirectory $data -CredentialPath (Join-Path $data 'absent.xml')
        $missing.ExitCode | Should -Be 2 -Because $missing.Output
        $missing.Log | Should -Match 'does not exist\. Create it as the account that runs this task'

        if (-not $IsWindows) {
            $open = New-CredentialFile (Join-Path $data 'open.cred.xml')
            [IO.File]::SetUnixFileMode($open, [IO.UnixFileMode]'UserRead, UserWrite, GroupRead, OtherRead')
            $run = Invoke-Telemetry -DataDirectory $data -CredentialPath $open
            $run.ExitCode | Should -Be 2 -Because $run.Output
            $run.Log | Should -Match 'can be read by other users .* chmod 600'
        }
    }

    It 'authenticates with a client certificate over TLS instead of a password (-NoCredential -ClientCertificatePath -CaFile)' {
        $tlsBroker = Start-SangoTestBroker -Name telemetry-mtls -MutualTls
        $client = $tlsBroker.Pki.Client
        $data = Join-Path $TestDrive 'certificate'
        $null = New-Item -ItemType Directory -Path $data
        $key = Join-Path $data 'client.key'
        Copy-Item -LiteralPath $client.KeyFile -Destination $key
        if (-not $IsWindows) { [IO.File]::SetUnixFileMode($key, [IO.UnixFileMode]'UserRead, UserWrite') }
        # The broker takes the certificate's CN (sango) as the user name; the default ACL lets sango use sango/#.
        $topic = New-UniqueTopic 'sango/telemetry'
        $sub = Start-MosquittoSub -Broker $tlsBroker -Listener MutualTls -Topic $topic -Qos 1
        $run = Invoke-Telemetry -DataDirectory $data -Endpoint $tlsBroker.MutualTlsUri -CredentialPath '' -Arguments @(
            '-Topic', $topic, '-NoCredential', '-CaFile', $tlsBroker.Pki.CaFile, '-ClientCertificatePath', $client.CertFile, '-ClientKeyPath', $key)
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $run.Log | Should -Match 'Connected to mqtts://localhost:\d+'
        @(((Wait-MosquittoSubCount $sub -Count 1)[0].Payload | ConvertFrom-Json).samples).Count | Should -Be 1
    }
}

Describe 'What a short plain-MQTT task loads' {
    It 'connects, publishes and disconnects without loading OpenSSL (8-12 ms it does not need)' {
        if (-not (Test-Path /proc/self/maps)) {
            Set-ItResult -Skipped -Because 'the loaded libraries are read from /proc/self/maps (Linux)'
            return
        }
        $topic = New-UniqueTopic 'task'
        $sub = Start-Sub $topic
        # The probe is checked too: after RandomNumberGenerator's first use, OpenSSL must show up in the maps.
        $script = @"
`$ErrorActionPreference = 'Stop'
function Get-OpenSsl { @((Get-Content /proc/self/maps) -match 'libssl|libcrypto').Count }
Import-Module '$modulePath'
`$credential = [pscredential]::new('telemetry', (ConvertTo-SecureString '$password' -AsPlainText -Force))
`$session = Connect-Sango '$($broker.PlainUri)' -Credential `$credential
Publish-SangoMessage -Session `$session -Topic '$topic' -Payload 'plain'
Disconnect-Sango `$session
'OPENSSL_AFTER_TASK=' + (Get-OpenSsl)
`$null = [System.Security.Cryptography.RandomNumberGenerator]::GetBytes(1)
'OPENSSL_AFTER_RNG=' + (Get-OpenSsl)
"@
        $r = Invoke-SangoPwsh -ArgumentList '-Command', $script -TimeoutSeconds 45
        $r.ExitCode | Should -Be 0 -Because $r.Output
        (Wait-MosquittoSubCount $sub -Count 1).Payload | Should -Be 'plain'
        $r.Output | Should -Match 'OPENSSL_AFTER_TASK=0\b'
        $r.Output | Should -Match 'OPENSSL_AFTER_RNG=[1-9]'
    }
}
