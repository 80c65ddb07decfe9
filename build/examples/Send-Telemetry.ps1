#Requires -Version 7.4
<#
.SYNOPSIS
    Sends this machine's telemetry (CPU, memory, disks, process count) to the MQTT cluster with SangoPS. Made to
    run unattended every few minutes from Windows Task Scheduler, cron or a systemd timer.
.DESCRIPTION
    Each run:
      1. Takes one sample of this machine and adds it to the pending batch (<DataDirectory>/pending.jsonl), so
         that no sample is lost while the brokers or the configuration are being fixed. A collector also adds
         the samples other machines left in its -InboxDirectory (they run this script with -ForwardTo).
      2. When the batch holds -BatchSize samples (or its oldest sample is -MaxBatchAgeMinutes old), or messages
         of earlier runs wait in the spool, it connects to the cluster and publishes the batch as ONE JSON
         message at QoS 1:
             {"schema":"sango-telemetry/1","sentBy":"web01","sentAt":"...","samples":[{"host":"web01",...},...]}
         The size of the message is checked first: a batch that would be over -MaxPayloadBytes (51,200 bytes,
         the service's 50 KB; or less when the broker announces a smaller Maximum Packet Size) is split into as
         few messages as fit.
      3. Disconnect-Sango waits for the broker's acknowledgements. A message that could not be delivered (no
         endpoint answered) is kept in the spool (<DataDirectory>/spool) and sent first by the next run.

    Every step is logged with a UTC timestamp to -LogPath (default <DataDirectory>/logs/Send-Telemetry.log;
    rotated at 1 MB) and to standard output. No password ever appears there: the script never prints the
    credential, and SangoPS keeps passwords out of its own output, warnings and errors.

    The script never prompts: run it with pwsh -NoProfile -NonInteractive -File. The credential comes from a
    file (Export-Clixml, -CredentialPath) or from a SecretManagement vault (-SecretName); see
    docs/scheduled-tasks.md for how to store it for the account that runs the task.

    Exit codes (the "Last Run Result" of a scheduled task):
      0  the samples were delivered (or stored in the pending batch until it is full), nothing waits in the spool
      1  not delivered: the brokers did not answer and the message is in the spool, or the broker refused it;
         the next run tries again
      2  configuration error: a parameter, the module, the credential file, the endpoint, the user name or
         password, or the broker's certificate is wrong; retrying will not help until it is fixed (the samples
         wait in the pending batch meanwhile)
    A value PowerShell itself cannot convert (-BatchSize x) stops pwsh before the script starts, with exit code 1
    and the reason on standard error only: try the task's command line once by hand.
.PARAMETER Endpoint
    The brokers of the cluster, tried in order (mqtts://host[:port], host[:port] means mqtts).
.PARAMETER DataDirectory
    Folder for the credential file, the spool, the pending batch and the log. Default: C:\ProgramData\Telemetry
    on Windows, /var/lib/sango-telemetry elsewhere.
.PARAMETER CredentialPath
    A PSCredential written with Export-Clixml by the account that runs the task. Default: <DataDirectory>\sango.cred.xml.
    On Linux and macOS the file must be readable by its owner only (chmod 600): Export-Clixml does not encrypt there.
.PARAMETER SecretName
    Instead of -CredentialPath: the name of a PSCredential secret in a Microsoft.PowerShell.SecretManagement vault
    that can be read without a prompt (for example SecretStore configured with -Interaction None).
.PARAMETER SecretVault
    The vault of -SecretName (default: the default vault).
.PARAMETER NoCredential
    Connect without a user name and password: for a broker that authenticates by client certificate
    (-ClientCertificatePath) or allows anonymous clients.
.PARAMETER ClientCertificatePath
    A client certificate (PEM, with -ClientKeyPath; or PFX) for brokers that authenticate clients by certificate.
    On Linux and macOS the key (or PFX) file must be readable by its owner only.
.PARAMETER ClientKeyPath
    The unencrypted PEM private key of -ClientCertificatePath.
.PARAMETER SpoolDirectory
    Where messages that could not be delivered wait for the next run. Default: <DataDirectory>/spool.
.PARAMETER LogPath
    The log file. Default: <DataDirectory>/logs/Send-Telemetry.log.
.PARAMETER CaFile
    The CA certificates (PEM) that the brokers' certificates must chain to, instead of the system's trusted roots.
.PARAMETER ClientId
    The MQTT client identifier; by default SangoPS makes a new one for every connection.
.PARAMETER Strategy
    Failover (always try the endpoints in the order given) or RoundRobin (each run starts at the next endpoint).
.PARAMETER TimeoutSeconds
    How long to wait for a broker to answer, and for acknowledgements when none answers.
.PARAMETER Topic
    Topic of the messages. Default: telemetry/<host name>.
.PARAMETER HostName
    The name this machine's samples carry. Default: the computer name, in lower case.
.PARAMETER ForwardTo
    Do not publish: hand this machine's samples to a collector instead, as a file in this folder (for example a
    share, \\collector\telemetry-inbox). Such a machine needs neither SangoPS nor a credential.
.PARAMETER InboxDirectory
    On the collector: add the samples other machines left here with -ForwardTo to the batch, so that one message
    carries the samples of a whole group of machines.
.PARAMETER BatchSize
    Samples per message. 1 publishes every run; with a task every 5 minutes, 6 publishes every 30 minutes.
.PARAMETER MaxBatchAgeMinutes
    Publish a smaller batch once its oldest sample is this old (for example after the task was paused).
.PARAMETER MaxPendingSamples
    Upper bound of the pending batch while publishing fails for a configuration error; the oldest samples are dropped (and logged).
.PARAMETER MaxPayloadBytes
    Largest message payload; passed to Connect-Sango -MaxPayloadBytes.
.PARAMETER DiskPath
    Drives or mount points to report. Default: every fixed drive on Windows, / elsewhere.
.PARAMETER ModulePath
    Import SangoPS from this path (a module folder or its .psd1) instead of by name from $env:PSModulePath.
#>
[CmdletBinding()]
param(
    [string[]] $Endpoint = @('broker-a.sango.example', 'broker-b.sango.example'),
    [string] $DataDirectory = $(if ($IsWindows) { Join-Path $env:ProgramData 'Telemetry' } else { '/var/lib/sango-telemetry' }),
    [string] $CredentialPath,
    [string] $SecretName,
    [string] $SecretVault,
    [switch] $NoCredential,
    [string] $ClientCertificatePath,
    [string] $ClientKeyPath,
    [string] $SpoolDirectory,
    [string] $LogPath,
    [string] $Topic,
    [string] $HostName = [Environment]::MachineName.ToLowerInvariant(),
    [string] $ForwardTo,
    [string] $InboxDirectory,
    [int] $BatchSize = 1,
    [int] $MaxBatchAgeMinutes = 60,
    [int] $MaxPendingSamples = 2016,
    [int] $MaxPayloadBytes = 51200,
    [string[]] $DiskPath,
    [string] $CaFile,
    [string] $ClientId,
    [string] $Strategy = 'Failover',
    [int] $TimeoutSeconds = 10,
    [string] $ModulePath
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Set-StrictMode -Version 3.0

# An error the administrator must fix (exit code 2), as opposed to a delivery that failed this time (exit code 1).
class TelemetryConfigurationException : System.Exception {
    TelemetryConfigurationException([string] $message) : base($message) {}
}

$script:LogFile = $null

function Write-Log {
    param([Parameter(Mandatory, Position = 0)] [string] $Message, [ValidateSet('INFO', 'WARN', 'ERROR')] [string] $Level = 'INFO')
    $line = '{0} [{1}] {2}' -f [DateTime]::UtcNow.ToString('yyyy-MM-ddTHH:mm:ss.fffZ'), $Level, ($Message -replace '\r?\n', ' | ')
    if ($script:LogFile) {
        try { [IO.File]::AppendAllText($script:LogFile, $line + [Environment]::NewLine) }
        catch { [Console]::Error.WriteLine("Cannot write the log ${script:LogFile}: $($_.Exception.Message)") }
    }
    [Console]::Out.WriteLine($line)
}

function Stop-Configuration([string] $Message) { throw [TelemetryConfigurationException]::new($Message) }

function Assert-PrivateFile([string] $Path, [string] $What) {
    # Outside Windows nothing encrypts these files: only their owner may read them.
    if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) { Stop-Configuration "The $What $Path does not exist." }
    if ($IsWindows) { return }
    $mode = (Get-Item -LiteralPath $Path).UnixFileMode
    $others = [IO.UnixFileMode]'GroupRead, GroupWrite, GroupExecute, OtherRead, OtherWrite, OtherExecute'
    if ($mode -band $others) {
        Stop-Configuration "The $What $Path can be read by other users (mode $mode), and outside Windows nothing encrypts it: run chmod 600 '$Path' as its owner."
    }
}

function Get-ErrorId($ErrorRecord) { ($ErrorRecord.FullyQualifiedErrorId -split ',')[0] }

# Connect-Sango errors that retrying cannot cure.
$ConfigurationErrorIds = 'InvalidEndpoint', 'AuthenticationFailed', 'CertificateValidationFailed', 'CaFileInvalid',
'ClientCertificateAmbiguous', 'ClientCertificateInvalid', 'ClientKeyPasswordRequired', 'ClientCertificateNotFound'

function Find-ConfigurationProblem([hashtable] $Connect) {
    # With -SpoolDirectory, Connect-Sango turns a failed connection into a warning and keeps trying in the
    # background. Ask each endpoint once more, without the spool, for its error id: a refused password or
    # certificate is a configuration error (exit code 2), not an outage (exit code 1).
    foreach ($one in $Endpoint) {
        $probe = $Connect.Clone()
        foreach ($key in 'SpoolDirectory', 'Strategy', 'WarningVariable') { $probe.Remove($key) }
        $probe.Endpoint = $one
        $probe.Name = 'telemetry-probe'
        try {
            $probeSession = Connect-Sango @probe
            Disconnect-Sango -Session $probeSession -WarningAction SilentlyContinue -ErrorAction SilentlyContinue
        }
        catch {
            $id = Get-ErrorId $_
            if ($id -in $ConfigurationErrorIds) { return "Connect-Sango: ${id}: $($_.Exception.Message)" }
        }
    }
    $null
}

#region Samples

function Get-CpuPercent {
    # Share of non-idle CPU time (Windows: the processors' current load; Linux: over half a second).
    if ($IsWindows) {
        $load = (Get-CimInstance -ClassName Win32_Processor | Measure-Object -Property LoadPercentage -Average).Average
        return $(if ($null -ne $load) { [math]::Round([double]$load, 1) } else { $null })
    }
    if ($IsLinux -and (Test-Path /proc/stat)) {
        $read = { @(((Get-Content /proc/stat -TotalCount 1) -split '\s+')[1..8] | ForEach-Object { [double]$_ }) }
        $a = & $read; Start-Sleep -Milliseconds 500; $b = & $read
        $total = ($b | Measure-Object -Sum).Sum - ($a | Measure-Object -Sum).Sum
        $idle = ($b[3] + $b[4]) - ($a[3] + $a[4])
        return [math]::Round(100 * ($total - $idle) / [math]::Max($total, 1), 1)
    }
    return $null   # macOS: see the load averages
}

function Get-LoadAverage {
    $text = if ($IsLinux -and (Test-Path /proc/loadavg)) { Get-Content /proc/loadavg -TotalCount 1 }
    elseif ($IsMacOS) { (& /usr/sbin/sysctl -n vm.loadavg) -replace '[{}]', '' }
    if (-not $text) { return $null }
    @(($text.Trim() -split '\s+')[0..2] | ForEach-Object { [double]::Parse($_, [cultureinfo]::InvariantCulture) })
}

function Get-MemoryInfo {
    if ($IsWindows) {
        $os = Get-CimInstance -ClassName Win32_OperatingSystem
        return @{ totalMB = [long]($os.TotalVisibleMemorySize / 1KB); usedPercent = [math]::Round(100 * (1 - $os.FreePhysicalMemory / $os.TotalVisibleMemorySize), 1) }
    }
    if ($IsLinux -and (Test-Path /proc/meminfo)) {
        $info = @{}
        foreach ($line in Get-Content /proc/meminfo) { $k, $v = $line -split ':\s+', 2; $info[$k] = [double]($v -replace '\D', '') }
        return @{ totalMB = [long]($info.MemTotal / 1KB); usedPercent = [math]::Round(100 * (1 - $info.MemAvailable / $info.MemTotal), 1) }
    }
    if ($IsMacOS) { return @{ totalMB = [long]([double](& /usr/sbin/sysctl -n hw.memsize) / 1MB); usedPercent = $null } }
    return @{ totalMB = $null; usedPercent = $null }
}

function Get-DiskInfo([string[]] $Paths) {
    foreach ($path in $Paths) {
        try {
            $drive = [IO.DriveInfo]::new($path)
            if (-not $drive.IsReady -or $drive.TotalSize -le 0) { continue }
            [ordered]@{
                path        = $drive.Name
                totalGB     = [math]::Round($drive.TotalSize / 1GB, 1)
                freeGB      = [math]::Round($drive.AvailableFreeSpace / 1GB, 1)
                usedPercent = [math]::Round(100 * (1 - $drive.AvailableFreeSpace / $drive.TotalSize), 1)
            }
        }
        catch { Write-Log "Disk '$path' cannot be read: $($_.Exception.Message)" -Level WARN }
    }
}

function New-Sample([string] $Name, [string[]] $Disks) {
    $memory = Get-MemoryInfo
    [ordered]@{
        host              = $Name
        at                = [DateTime]::UtcNow.ToString('yyyy-MM-ddTHH:mm:ssZ')
        cpuPercent        = Get-CpuPercent
        load              = Get-LoadAverage
        memoryTotalMB     = $memory.totalMB
        memoryUsedPercent = $memory.usedPercent
        disks             = @(Get-DiskInfo $Disks)
        processes         = @(Get-Process).Count
        uptimeSeconds     = [long]([Environment]::TickCount64 / 1000)
    }
}

#endregion

#region Pending batch (one JSON sample per line)

function Read-Pending([string] $Path) {
    if (-not (Test-Path -LiteralPath $Path)) { return @() }
    $good = foreach ($line in [IO.File]::ReadAllLines($Path)) {
        if (-not $line.Trim()) { continue }
        if ($line.Length -gt 16KB) { Write-Log "Dropped a sample of $($line.Length) characters from ${Path}: a sample is a few hundred." -Level WARN; continue }
        try { $null = ConvertFrom-Json -InputObject $line; $line }
        catch { Write-Log "Dropped an unreadable line of the pending batch (a run that was killed while writing): $($line.Substring(0, [math]::Min(60, $line.Length)))" -Level WARN }
    }
    @($good)
}

function Write-Pending([string] $Path, [string[]] $Lines) {
    if (-not $Lines) { Remove-Item -LiteralPath $Path -Force -ErrorAction SilentlyContinue; return }
    # Write a new file and rename it over the old one: a killed run never leaves half a batch.
    $temp = "$Path.$PID.tmp"
    [IO.File]::WriteAllLines($temp, $Lines)
    Move-Item -LiteralPath $temp -Destination $Path -Force
}

function Send-ToCollector([string] $Folder, [string[]] $Lines) {
    # One file per run, written under another name and then renamed, so the collector never reads half a file.
    $name = '{0}-{1}-{2}.jsonl' -f ($HostName -replace '[^A-Za-z0-9.-]', '_'), [DateTime]::UtcNow.ToString('yyyyMMddTHHmmssfffZ'), $PID
    $temp = Join-Path $Folder "$name.partial"
    [IO.File]::WriteAllLines($temp, $Lines)
    Move-Item -LiteralPath $temp -Destination (Join-Path $Folder $name)
    Join-Path $Folder $name
}

function Receive-FromInbox([string] $Folder) {
    # The files other machines left with -ForwardTo, oldest first: their lines, and the files to delete once kept.
    $files = @(Get-ChildItem -LiteralPath $Folder -File | Where-Object Extension -eq '.jsonl' | Sort-Object LastWriteTimeUtc, Name)
    [pscustomobject]@{ Files = $files; Lines = @(foreach ($file in $files) { Read-Pending $file.FullName }) }
}

function Get-SampleTime([string] $Line) {
    # ConvertFrom-Json already turns the ISO 8601 text into a DateTime.
    $at = (ConvertFrom-Json -InputObject $Line).at
    if ($at -is [datetime]) { return $at.ToUniversalTime() }
    [DateTime]::Parse($at, [cultureinfo]::InvariantCulture, [Globalization.DateTimeStyles]::AdjustToUniversal)
}

function Split-Batch {
    # Groups the samples (JSON strings) into messages of at most $Limit UTF-8 bytes, in order.
    param([string[]] $Samples, [string] $Sender, [int] $Limit)
    $utf8 = [Text.Encoding]::UTF8
    $head = '{"schema":"sango-telemetry/1","sentBy":' + (ConvertTo-Json -InputObject $Sender -Compress) +
    ',"sentAt":"' + [DateTime]::UtcNow.ToString('yyyy-MM-ddTHH:mm:ssZ') + '","samples":['
    $tail = ']}'
    $overhead = $utf8.GetByteCount($head) + $utf8.GetByteCount($tail)
    $current = [Collections.Generic.List[string]]::new(); $size = $overhead
    $messages = [Collections.Generic.List[object]]::new()
    $flush = {
        if ($current.Count) {
            $json = $head + ($current -join ',') + $tail
            $messages.Add([pscustomobject]@{ Json = $json; Bytes = $utf8.GetByteCount($json); Samples = $current.ToArray() })
        }
    }
    foreach ($sample in $Samples) {
        $bytes = $utf8.GetByteCount($sample) + $(if ($current.Count) { 1 } else { 0 })
        if ($current.Count -and $size + $bytes -gt $Limit) {
            & $flush
            $current = [Collections.Generic.List[string]]::new(); $size = $overhead
            $bytes = $utf8.GetByteCount($sample)
        }
        $current.Add($sample); $size += $bytes
    }
    & $flush
    $messages.ToArray()
}

#endregion

function Invoke-SendTelemetry {
    # Checked here rather than with validation attributes, so that a wrong value is exit code 2 like any configuration error.
    if ($BatchSize -lt 1) { Stop-Configuration "-BatchSize must be 1 or more (it is $BatchSize)." }
    if ($MaxBatchAgeMinutes -lt 1) { Stop-Configuration "-MaxBatchAgeMinutes must be 1 or more (it is $MaxBatchAgeMinutes)." }
    if ($MaxPendingSamples -lt $BatchSize) { Stop-Configuration "-MaxPendingSamples ($MaxPendingSamples) must be at least -BatchSize ($BatchSize)." }
    if ($MaxPayloadBytes -lt 1024) { Stop-Configuration "-MaxPayloadBytes must be 1024 or more (it is $MaxPayloadBytes)." }
    if ($TimeoutSeconds -lt 1) { Stop-Configuration "-TimeoutSeconds must be 1 or more (it is $TimeoutSeconds)." }
    # pwsh -File passes "-Endpoint a,b" as the one string 'a,b': split it here.
    $script:Endpoint = @($Endpoint -split ',' | ForEach-Object Trim | Where-Object { $_ })
    if (-not $Endpoint) { Stop-Configuration 'No -Endpoint given.' }
    if ($Strategy -notin 'Failover', 'RoundRobin') { Stop-Configuration "-Strategy must be Failover or RoundRobin (it is '$Strategy')." }
    if ($SecretName -and ($NoCredential -or $CredentialPath)) { Stop-Configuration 'Give only one of -SecretName, -CredentialPath and -NoCredential.' }

    if (-not $HostName) { Stop-Configuration '-HostName is empty.' }
    if (-not $Topic) { $script:Topic = "telemetry/$HostName" }
    if ($ForwardTo -and $InboxDirectory) { Stop-Configuration 'Give -ForwardTo (on the machines that hand over their samples) or -InboxDirectory (on the collector), not both.' }
    $script:DiskPath = @($DiskPath -split ',' | ForEach-Object Trim | Where-Object { $_ })
    if (-not $DiskPath) {
        $script:DiskPath = if ($IsWindows) { @([IO.DriveInfo]::GetDrives() | Where-Object { $_.DriveType -eq 'Fixed' -and $_.IsReady } | ForEach-Object Name) } else { @('/') }
    }
    $pendingPath = Join-Path $DataDirectory 'pending.jsonl'

    # The sample, first: it is kept even when what follows fails.
    $sample = New-Sample $HostName $DiskPath | ConvertTo-Json -Depth 5 -Compress
    $pending = @(Read-Pending $pendingPath) + $sample
    $inbox = $null
    if ($InboxDirectory) {
        if (Test-Path -LiteralPath $InboxDirectory -PathType Container) {
            $inbox = Receive-FromInbox $InboxDirectory
            $pending += $inbox.Lines
            if ($inbox.Files) { Write-Log "Took $($inbox.Lines.Count) sample(s) of other machines from $($inbox.Files.Count) file(s) in $InboxDirectory." }
        }
        else { Write-Log "The inbox $InboxDirectory cannot be reached; this run sends without the samples of other machines." -Level WARN }
    }
    if ($pending.Count -gt $MaxPendingSamples) {
        $drop = $pending.Count - $MaxPendingSamples
        Write-Log "The pending batch holds $($pending.Count) samples, more than -MaxPendingSamples $MaxPendingSamples; dropping the $drop oldest." -Level WARN
        $pending = $pending[$drop..($pending.Count - 1)]
    }
    Write-Pending $pendingPath $pending
    # The samples are in this machine's batch now: the inbox files can go.
    if ($inbox) { $inbox.Files | Remove-Item -Force -ErrorAction Continue }

    if ($ForwardTo) {
        try { $file = Send-ToCollector $ForwardTo $pending }
        catch {
            Write-Log "Cannot hand the samples to the collector in ${ForwardTo}: $($_.Exception.Message) The $($pending.Count) sample(s) stay in the pending batch." -Level ERROR
            return 1
        }
        Write-Pending $pendingPath @()
        Write-Log "Handed $($pending.Count) sample(s) to the collector: $file."
        return 0
    }

    try {
        if ($ModulePath) { Import-Module $ModulePath -ErrorAction Stop } else { Import-Module SangoPS -ErrorAction Stop }
    }
    catch {
        Stop-Configuration "SangoPS cannot be loaded ($($_.Exception.Message)). Install it where the task's account finds it: Install-PSResource SangoPS -Scope AllUsers."
    }

    $oldest = Get-SampleTime $pending[0]
    $spoolWaiting = 0
    if (Test-Path -LiteralPath $SpoolDirectory) { $spoolWaiting = (Get-SangoSpool -Path $SpoolDirectory).Count }
    $due = $pending.Count -ge $BatchSize -or $oldest -le [DateTime]::UtcNow.AddMinutes(-$MaxBatchAgeMinutes) -or $spoolWaiting -gt 0
    if (-not $due) {
        Write-Log "Sample stored; the batch holds $($pending.Count) of $BatchSize samples. Nothing to send yet."
        return 0
    }

    if ($ClientCertificatePath) {
        Assert-PrivateFile $(if ($ClientKeyPath) { $ClientKeyPath } else { $ClientCertificatePath }) 'client key file'
    }
    $credential = $null
    if ($SecretName) {
        try {
            Import-Module Microsoft.PowerShell.SecretManagement -ErrorAction Stop
            $secretArgs = @{ Name = $SecretName; ErrorAction = 'Stop' }
            if ($SecretVault) { $secretArgs.Vault = $SecretVault }
            $credential = Get-Secret @secretArgs
        }
        catch { Stop-Configuration "The secret '$SecretName' cannot be read: $($_.Exception.Message)" }
        if ($credential -isnot [pscredential]) { Stop-Configuration "The secret '$SecretName' is not a PSCredential (Set-Secret -Name $SecretName -Secret (Get-Credential))." }
    }
    elseif (-not $NoCredential) {
        if (-not (Test-Path -LiteralPath $CredentialPath -PathType Leaf)) {
            Stop-Configuration "The credential file $CredentialPath does not exist. Create it as the account that runs this task ($([Environment]::UserName)): Get-Credential | Export-Clixml '$CredentialPath'"
        }
        # Export-Clixml does not encrypt the password outside Windows: the file itself must be private.
        Assert-PrivateFile $CredentialPath 'credential file'
        try { $credential = Import-Clixml -LiteralPath $CredentialPath }
        catch {
            Stop-Configuration "The credential file $CredentialPath cannot be read by $([Environment]::UserName): $($_.Exception.Message) On Windows only the account that wrote it, on the same machine, can decrypt it: write it again as the task's account."
        }
        if ($credential -isnot [pscredential]) { Stop-Configuration "$CredentialPath does not hold a credential: write it with Get-Credential | Export-Clixml." }
    }

    $connect = @{
        Endpoint        = $Endpoint
        SpoolDirectory  = $SpoolDirectory
        TimeoutSeconds  = $TimeoutSeconds
        MaxPayloadBytes = $MaxPayloadBytes
        Strategy        = $Strategy
        Name            = 'telemetry'
        ErrorAction     = 'Stop'
        WarningAction   = 'SilentlyContinue'
        WarningVariable = 'connectWarnings'
    }
    if ($credential) { $connect.Credential = $credential }
    if ($CaFile) { $connect.CaFile = $CaFile }
    if ($ClientId) { $connect.ClientId = $ClientId }
    if ($ClientCertificatePath) { $connect.ClientCertificatePath = $ClientCertificatePath }
    if ($ClientKeyPath) { $connect.ClientKeyPath = $ClientKeyPath }

    $who = if ($credential) { "as $($credential.UserName)" } else { 'without a user name' }
    Write-Log "Connecting to $($Endpoint -join ', ') $who (spool $SpoolDirectory; $spoolWaiting message(s) waiting there)."
    $session = $null
    $sent = 0; $acknowledged = 0; $failed = $false
    try {
        try { $session = Connect-Sango @connect }
        catch {
            $id = Get-ErrorId $_
            if ($id -in $ConfigurationErrorIds -or $_.Exception -is [System.Management.Automation.ParameterBindingException]) {
                Stop-Configuration "Connect-Sango: ${id}: $($_.Exception.Message)"
            }
            Write-Log "Connect-Sango: ${id}: $($_.Exception.Message) The $($pending.Count) sample(s) stay in the pending batch." -Level ERROR
            return 1
        }
        foreach ($w in $connectWarnings) { Write-Log "Connect-Sango: $w" -Level WARN }
        if (-not $session.IsConnected) {
            $problem = Find-ConfigurationProblem $connect
            if ($problem) { Stop-Configuration "$problem The $($pending.Count) sample(s) stay in the pending batch." }
        }
        if ($session.IsConnected) { Write-Log "Connected to $($session.ConnectedEndpoint) with MQTT $($session.ProtocolVersion); payload limit $($session.MaxPayloadBytes) bytes." }

        $limit = [math]::Min($MaxPayloadBytes, $session.MaxPayloadBytes)
        # The session's limit is for the shortest topic; a broker's Maximum Packet Size also counts this topic's bytes.
        if ($session.BrokerMaximumPacketSize) { $limit -= [Text.Encoding]::UTF8.GetByteCount($Topic) + 4 }
        $messages = @(Split-Batch -Samples $pending -Sender $HostName -Limit $limit)
        $handedOver = 0
        foreach ($message in $messages) {
            if ($message.Bytes -gt $limit) {
                Write-Log "A single sample is $($message.Bytes) bytes, over the limit of $limit bytes; it is dropped." -Level ERROR
                $handedOver += $message.Samples.Count; $failed = $true
                continue
            }
            try {
                $results = @(Publish-SangoMessage -Session $session -Topic $Topic -Payload $message.Json -QoS 1 -PassThru `
                        -ErrorAction Stop -WarningAction SilentlyContinue -WarningVariable publishWarnings)
            }
            catch {
                $id = Get-ErrorId $_
                if ($id -eq 'InvalidTopic') { Stop-Configuration "Publish-SangoMessage: ${id}: $($_.Exception.Message)" }
                Write-Log "Publish-SangoMessage: ${id}: $($_.Exception.Message)" -Level ERROR
                $failed = $true
                break
            }
            foreach ($w in $publishWarnings) { Write-Log "Publish-SangoMessage: $w" -Level WARN }
            # From here the message belongs to the session: acknowledged now, or sent or spooled by Disconnect-Sango.
            $sent++; $handedOver += $message.Samples.Count
            if ($results.Count) {
                $acknowledged++
                Write-Log "Published $($message.Samples.Count) sample(s), $($message.Bytes) bytes, to $Topic at $($results[0].Endpoint) ($($results[0].ReasonCode))."
            }
            else {
                Write-Log "$($message.Samples.Count) sample(s), $($message.Bytes) bytes, wait in the session: no endpoint answered." -Level WARN
            }
        }
        $rest = if ($handedOver -lt $pending.Count) { $pending[$handedOver..($pending.Count - 1)] } else { @() }
        Write-Pending $pendingPath $rest
    }
    finally {
        if ($session) {
            Disconnect-Sango -Session $session -WarningAction SilentlyContinue -WarningVariable disconnectWarnings -ErrorAction SilentlyContinue -ErrorVariable disconnectErrors
            foreach ($w in $disconnectWarnings) { Write-Log "Disconnect-Sango: $w" -Level WARN }
            foreach ($e in $disconnectErrors) { Write-Log "Disconnect-Sango: $(Get-ErrorId $e): $($e.Exception.Message)" -Level ERROR; $failed = $true }
        }
    }

    $spool = if (Test-Path -LiteralPath $SpoolDirectory) { Get-SangoSpool -Path $SpoolDirectory } else { $null }
    if ($spool -and $spool.Count -gt 0) {
        Write-Log "$($spool.Count) message(s), $($spool.Bytes) bytes, wait in the spool $SpoolDirectory since $($spool.Oldest.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ')); the next run sends them first." -Level WARN
        return 1
    }
    if ($failed -or $acknowledged -lt $sent) { return 1 }
    if ($spoolWaiting -gt 0) { Write-Log "The $spoolWaiting message(s) that waited in the spool were sent first." }
    Write-Log "Delivered $acknowledged message(s) with $($pending.Count) sample(s)."
    return 0
}

$exitCode = 1
$lock = $null
try {
    if (-not $CredentialPath -and -not $SecretName -and -not $NoCredential) { $CredentialPath = Join-Path $DataDirectory 'sango.cred.xml' }
    if (-not $SpoolDirectory) { $SpoolDirectory = Join-Path $DataDirectory 'spool' }
    if (-not $LogPath) { $LogPath = Join-Path $DataDirectory 'logs/Send-Telemetry.log' }
    try {
        $null = New-Item -ItemType Directory -Path $DataDirectory, (Split-Path -Parent $LogPath) -Force
        if ((Test-Path -LiteralPath $LogPath) -and (Get-Item -LiteralPath $LogPath).Length -gt 1MB) {
            Move-Item -LiteralPath $LogPath -Destination "$LogPath.1" -Force
        }
        $script:LogFile = $LogPath
    }
    catch { Stop-Configuration "The folders $DataDirectory and $(Split-Path -Parent $LogPath) cannot be created or written by $([Environment]::UserName): $($_.Exception.Message)" }

    Write-Log "Send-Telemetry started on $([Environment]::MachineName) as $([Environment]::UserName) (PowerShell $($PSVersionTable.PSVersion), pid $PID)."

    # One run at a time: a run that overlaps a slow one waits for it (at most a minute), so the batch stays consistent.
    $lockPath = Join-Path $DataDirectory 'Send-Telemetry.lock'
    $deadline = [DateTime]::UtcNow.AddSeconds(60)
    while (-not $lock) {
        try { $lock = [IO.File]::Open($lockPath, [IO.FileMode]::OpenOrCreate, [IO.FileAccess]::ReadWrite, [IO.FileShare]::None) }
        catch [IO.IOException] {
            if ([DateTime]::UtcNow -gt $deadline) { throw "Another run still holds $lockPath after 60 seconds." }
            Start-Sleep -Milliseconds 500
        }
    }
    $exitCode = Invoke-SendTelemetry
}
catch [TelemetryConfigurationException] {
    Write-Log "Configuration error: $($_.Exception.Message)" -Level ERROR
    $exitCode = 2
}
catch {
    Write-Log "Failed: $($_.Exception.Message) ($($_.InvocationInfo.PositionMessage -replace '\s+', ' '))" -Level ERROR
    $exitCode = 1
}
finally {
    if ($lock) { $lock.Dispose() }
}
Write-Log "Send-Telemetry ended with exit code $exitCode."
exit $exitCode
