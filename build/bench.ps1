#Requires -Version 7.4
<#
.SYNOPSIS
    Measures SangoPS against mosquitto_pub/mosquitto_sub and a plain MQTTnet client on one machine, in one run.
.DESCRIPTION
    Starts its own mosquitto on loopback (unlimited queues and in-flight windows), builds the baseline tool
    bench/RawMqttnetPublisher, then times each case several times (5; once with -Quick) and reports the MEDIAN.
    Every comparison is a ratio of medians from this same run.

      1. Publish throughput, QoS 0 and 1: Get-Content lines.txt | Publish-SangoMessage (timed inside a child pwsh
         that has imported the module and connected) vs mosquitto_pub -l (process wall time) vs a plain MQTTnet
         loop awaiting each PublishAsync. A mosquitto_sub is subscribed before every run; a run counts only if
         it received every message.
      2. Scheduled-task cost: wall time of a pwsh that imports, connects (keeping the session in a variable, as the
         scheduled-task recipe does; once more printing it), publishes one message and disconnects,
         vs a bare pwsh, vs one mosquitto_pub; and Import-Module alone. The same task over TLS: mqtts to a TLS
         listener of the same mosquitto, whose ECC (P-256) certificate for *.sango.test the benchmark makes with
         openssl, signed by its own CA (Connect-Sango -CaFile, -TlsServerName a.sango.test).
      3. Receive: end-to-end latency p50/p99 at a steady 1,000 msg/s (mosquitto_pub -l fed by a pacer; each
         payload is its send time) and the top rate of a pre-published QoS 1 burst into the pipeline.
      4. Memory: working-set growth of the child pwsh over a long receive and a long publish (after a GC).
      5. Batching economy: 10,000 typical telemetry objects through Publish-SangoMessage -Batch: samples per
         message and how full the messages are (payload / the session's payload limit), checked by a subscriber.

    The first publish pipeline and the scheduled tasks are timed in a copy of this PowerShell whose IL assemblies
    the benchmark compiles ReadyToRun with crossgen2 (from the NuGet package folder, where the build's ReadyToRun
    step puts it), as PowerShell's MSI and zip packages ship them: those rows carry the targets. The same cases in
    the IL-only `dotnet tool` PowerShell that runs this script are reported beside them as information. Without
    the copy (no crossgen2, or -NoReadyToRun; the header says why) the target rows show '?' and 'not measured'.

    Prints a markdown table (and per-run details); writes it to -OutFile (default docs/benchmarks.md, none with
    -Quick). Text below the "kept" marker of an existing -OutFile survives the rewrite. Exits 1 when any run
    failed its correctness check (a missed performance target is reported, not failed), 130 when interrupted
    (Ctrl+C); either way every process it started is stopped and its temporary folder removed.
.PARAMETER ModulePath
    The built module folder (the one holding SangoPS.psd1), e.g. out/SangoPS.
.PARAMETER Quick
    One run per case and small counts: a smoke test that the benchmark works, not a measurement.
.PARAMETER OutFile
    Where to write the markdown. Default: docs/benchmarks.md, or nothing with -Quick.
.PARAMETER NoReadyToRun
    Does not build the ReadyToRun copy of PowerShell (about 30 s of crossgen2): the target rows, which are
    measured in it, then show '?' and 'not measured'.
.EXAMPLE
    dotnet pwsh ./build/bench.ps1 -ModulePath out/SangoPS
#>
# A simple (not advanced) script on purpose: in an advanced script PowerShell ignores "exit" in a finally block
# that runs because of Ctrl+C, and an interrupted benchmark must not exit 0.
param(
    [string] $ModulePath,

    [switch] $Quick,

    [string] $OutFile,

    [switch] $NoReadyToRun
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$Root = Split-Path -Parent $PSScriptRoot
$Invariant = [cultureinfo]::InvariantCulture
$KeepMarker = '<!-- bench.ps1: end of the generated part; text below this line is kept when the file is rewritten. -->'

$Runs = if ($Quick) { 1 } else { 5 }
$LaterPipelines = if ($Quick) { 1 } else { 3 }
$PublishCount = if ($Quick) { 2000 } else { 50000 }
$LatencyCount = if ($Quick) { 500 } else { 10000 }
$LatencyRate = 1000
$BurstCount = if ($Quick) { 2000 } else { 50000 }
$MemoryCount = if ($Quick) { 5000 } else { 200000 }
$BatchCount = if ($Quick) { 2000 } else { 10000 }

# The publish and scheduled-task targets are judged in the ReadyToRun copy of PowerShell (see New-ReadyToRunPowerShell).
$Targets = @{
    PublishQos1Ratio = 1.0     # SangoPS / mosquitto_pub -l
    PublishQos0Ratio = 0.5
    ScheduledTaskMs  = 200     # over bare pwsh, plain MQTT and TLS alike
    ReceiveP99Ms     = 5
    MemoryGrowthMB   = 50
}

$script:State = @{
    Work       = $null
    Processes  = [System.Collections.Generic.List[System.Diagnostics.Process]]::new()
    Watchdog   = $null
    Broker     = $null
    BrokerLog  = $null
    Port       = 0
    TlsPort    = 0
    Counter    = 0
    Failures   = [System.Collections.Generic.List[string]]::new()
}

# The ReadyToRun copy of this PowerShell (New-ReadyToRunPowerShell): its folder, and how it was made or why not.
$script:ReadyToRun = @{ Home = $null; Note = 'not built' }

# The TLS listener's PKI (New-BenchPki): the CA file the TLS task passes to Connect-Sango, and the name it dials.
$script:Pki = $null
$TlsServerName = 'a.sango.test'

#region Helpers: processes, files, numbers

function Format-Number([double] $Value, [string] $Format = 'N0') { $Value.ToString($Format, $Invariant) }

function Get-Median([double[]] $Values) {
    if (-not $Values -or $Values.Count -eq 0) { return [double]::NaN }
    $sorted = [double[]]($Values | Sort-Object)
    $n = $sorted.Count
    if ($n % 2) { return $sorted[($n - 1) / 2] }
    ($sorted[$n / 2 - 1] + $sorted[$n / 2]) / 2
}

function Get-Percentile([double[]] $Sorted, [double] $Fraction) {
    # Nearest rank, as the C# baseline tool and the child script compute it.
    if ($Sorted.Count -eq 0) { return [double]::NaN }
    $rank = [math]::Ceiling($Fraction * $Sorted.Count) - 1
    $Sorted[[math]::Min([math]::Max($rank, 0), $Sorted.Count - 1)]
}

function Get-CommandPath([string] $Name) {
    $cmd = Get-Command -Name $Name -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if ($cmd) { return $cmd.Source }
    foreach ($dir in '/usr/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/bin') {
        $candidate = Join-Path $dir $Name
        if (Test-Path -LiteralPath $candidate) { return $candidate }
    }
    throw "The benchmark needs '$Name' (Debian/Ubuntu: apt-get install mosquitto mosquitto-clients openssl)."
}

# Get-PwshInvocation: the child pwsh is the PowerShell that runs this script (the repository's pinned tool), or the
# same PowerShell in another folder (its ReadyToRun copy, New-ReadyToRunPowerShell).
. (Join-Path $PSScriptRoot 'PwshInvocation.ps1')

function New-WorkFile([string] $Name) {
    $script:State.Counter++
    Join-Path $script:State.Work ('{0:D3}-{1}' -f $script:State.Counter, $Name)
}

function Start-BenchProcess {
    # Starts a program with stdin from a file (or /dev/null) and stdout/stderr into files. /bin/sh execs the
    # program, so the Process is the program itself and our handles are not inherited by it.
    param(
        [Parameter(Mandatory)] [string] $FilePath,
        [string[]] $ArgumentList = @(),
        [string] $StdIn = '/dev/null',
        [string] $Name = (Split-Path -Leaf $FilePath),
        # Extra environment variables for the program (e.g. a .NET start-up setting).
        [hashtable] $Environment = @{}
    )
    $out = New-WorkFile "$Name.out"
    $err = New-WorkFile "$Name.err"
    $psi = [System.Diagnostics.ProcessStartInfo]::new('/bin/sh')
    $psi.UseShellExecute = $false
    foreach ($a in @('-c', 'exec "$@" <"$BENCH_IN" >"$BENCH_OUT" 2>"$BENCH_ERR"', 'bench', $FilePath) + $ArgumentList) { $psi.ArgumentList.Add($a) }
    $psi.Environment['BENCH_IN'] = $StdIn
    $psi.Environment['BENCH_OUT'] = $out
    $psi.Environment['BENCH_ERR'] = $err
    foreach ($key in $Environment.Keys) { $psi.Environment[$key] = [string]$Environment[$key] }
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    $process = [System.Diagnostics.Process]::Start($psi)
    $script:State.Processes.Add($process)
    Update-WatchdogList
    [pscustomobject]@{ Process = $process; Watch = $watch; Out = $out; Err = $err; Name = $Name }
}

function Wait-BenchProcess {
    # Waits (bounded) for the process; kills it (and its children) when the time is up.
    # Returns the result: ExitCode, Ms (wall time since start), TimedOut, Out and Err text, Result (RESULT json).
    param([Parameter(Mandatory)] $Handle, [Parameter(Mandatory)] [double] $TimeoutSeconds)
    $p = $Handle.Process
    # Short waits, so that Ctrl+C (which PowerShell honours between statements) stops the benchmark promptly.
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while (-not $p.WaitForExit(200) -and [DateTime]::UtcNow -lt $deadline) { }
    $timedOut = -not $p.HasExited
    $Handle.Watch.Stop()
    if ($timedOut) {
        try { $p.Kill($true) } catch { Write-Verbose "kill: $_" }
        $null = $p.WaitForExit(5000)
    }
    else { $p.WaitForExit() }
    $null = $script:State.Processes.Remove($p)
    Update-WatchdogList
    $outText = if (Test-Path -LiteralPath $Handle.Out) { [System.IO.File]::ReadAllText($Handle.Out) } else { '' }
    $errText = if (Test-Path -LiteralPath $Handle.Err) { [System.IO.File]::ReadAllText($Handle.Err) } else { '' }
    $result = $null
    $line = @($outText -split "`n" | Where-Object { $_ -like 'RESULT *' } | Select-Object -Last 1)
    if ($line) { $result = $line[0].Substring(7) | ConvertFrom-Json }
    [pscustomobject]@{
        ExitCode = if ($timedOut) { $null } else { $p.ExitCode }
        Ms       = $Handle.Watch.Elapsed.TotalMilliseconds
        TimedOut = $timedOut
        Out      = $outText
        Err      = $errText
        Result   = $result
    }
}

function Invoke-BenchProcess {
    param([Parameter(Mandatory)] [string] $FilePath, [string[]] $ArgumentList = @(), [string] $StdIn = '/dev/null',
        [double] $TimeoutSeconds = 120, [string] $Name = (Split-Path -Leaf $FilePath))
    Wait-BenchProcess (Start-BenchProcess -FilePath $FilePath -ArgumentList $ArgumentList -StdIn $StdIn -Name $Name) -TimeoutSeconds $TimeoutSeconds
}

function Get-ProblemText($Run) {
    # Why a process run did not succeed, in one line.
    if ($Run.TimedOut) { return "timed out after $(Format-Number ($Run.Ms / 1000) 'N0') s" }
    $tail = (($Run.Err.Trim() -split "`n") | Select-Object -Last 3) -join ' | '
    "exit code $($Run.ExitCode)$(if ($tail) { ": $tail" })"
}

function Start-Watchdog {
    # If this pwsh dies without its finally block, a small shell kills what it started and removes the work folder.
    $list = Join-Path $script:State.Work 'pids'
    [System.IO.File]::WriteAllText($list, '')
    $sh = @'
exec >/dev/null 2>&1 </dev/null
parent="$1"; list="$2"; work="$3"
while kill -0 "$parent" 2>/dev/null; do sleep 1; done
[ -f "$list" ] && while read -r p; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null; done < "$list"
rm -rf "$work"
'@
    $psi = [System.Diagnostics.ProcessStartInfo]::new('/bin/sh')
    $psi.UseShellExecute = $false
    foreach ($a in @('-c', $sh, 'bench-watchdog', "$PID", $list, $script:State.Work)) { $psi.ArgumentList.Add($a) }
    $script:State.Watchdog = [System.Diagnostics.Process]::Start($psi)
}

function Update-WatchdogList {
    if (-not $script:State.Watchdog) { return }
    $ids = @($script:State.Processes | Where-Object { -not $_.HasExited } | ForEach-Object { [string]$_.Id })
    [System.IO.File]::WriteAllLines((Join-Path $script:State.Work 'pids'), [string[]]$ids)
}

function Wait-Until {
    # Polls a condition with a deadline; throws with Because when it never holds.
    param([Parameter(Mandatory)] [scriptblock] $Condition, [double] $TimeoutSeconds = 10, [string] $Because = 'a condition')
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    while ($watch.Elapsed.TotalSeconds -lt $TimeoutSeconds) {
        if (& $Condition) { return }
        Start-Sleep -Milliseconds 10
    }
    throw "Gave up after $TimeoutSeconds s waiting for $Because."
}

function Read-SharedText([string] $Path) {
    if (-not (Test-Path -LiteralPath $Path)) { return '' }
    $fs = [System.IO.FileStream]::new($Path, 'Open', 'Read', 'ReadWrite')
    try { [System.IO.StreamReader]::new($fs).ReadToEnd() } finally { $fs.Dispose() }
}

function Get-LineCount([string] $Path) {
    # Lines in a file that another process may still be writing (each payload is one line).
    $text = Read-SharedText $Path
    if (-not $text) { return 0 }
    $text.Split([char]10).Count - 1
}

#endregion

#region Broker and subscribers

function New-BenchPki {
    # A CA and an ECC (P-256) server certificate for *.sango.test signed by it, made with openssl in the work
    # folder, for the broker's TLS listener: like the 'wildcard' certificate of tests/Fixtures/SangoTestBroker.psm1
    # (SAN DNS:*.sango.test, plus IP:127.0.0.1 so that mosquitto_pub, which has no server-name option, can check it
    # too). Connect-Sango dials 127.0.0.1 with -TlsServerName a.sango.test, so it matches the wildcard.
    $dir = Join-Path $script:State.Work 'pki'
    $null = New-Item -ItemType Directory -Path $dir
    $cnf = Join-Path $dir 'openssl.cnf'
    [System.IO.File]::WriteAllLines($cnf, [string[]]@(
            '[ req ]', 'distinguished_name = req_dn', 'prompt = no', '[ req_dn ]', 'CN = placeholder'
            '[ v3_ca ]', 'basicConstraints = critical, CA:TRUE', 'keyUsage = critical, keyCertSign, cRLSign', 'subjectKeyIdentifier = hash'
            '[ server ]', 'basicConstraints = critical, CA:FALSE', 'keyUsage = critical, digitalSignature', 'extendedKeyUsage = serverAuth'
            'subjectAltName = DNS:*.sango.test, IP:127.0.0.1', 'subjectKeyIdentifier = hash', 'authorityKeyIdentifier = keyid'))
    $pki = [pscustomobject]@{
        CaFile   = Join-Path $dir 'ca.crt'
        CaKey    = Join-Path $dir 'ca.key'
        CertFile = Join-Path $dir 'server.crt'
        KeyFile  = Join-Path $dir 'server.key'
    }
    $csr = Join-Path $dir 'server.csr'
    $serial = { '0x1' + [guid]::NewGuid().ToString('N').Substring(0, 24) }
    foreach ($argv in @(
            @('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', $pki.CaKey),
            @('req', '-x509', '-new', '-config', $cnf, '-key', $pki.CaKey, '-subj', '/CN=SangoPS Bench CA', '-days', '30', '-sha256',
                '-extensions', 'v3_ca', '-set_serial', (& $serial), '-out', $pki.CaFile),
            @('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', $pki.KeyFile),
            @('req', '-new', '-config', $cnf, '-key', $pki.KeyFile, '-subj', '/CN=*.sango.test', '-out', $csr),
            @('x509', '-req', '-in', $csr, '-CA', $pki.CaFile, '-CAkey', $pki.CaKey, '-set_serial', (& $serial), '-days', '30', '-sha256',
                '-extfile', $cnf, '-extensions', 'server', '-out', $pki.CertFile))) {
        $r = Invoke-BenchProcess -FilePath (Get-CommandPath 'openssl') -ArgumentList $argv -TimeoutSeconds 60 -Name 'openssl'
        if ($r.ExitCode -ne 0) { throw "openssl $($argv[0]) failed ($(Get-ProblemText $r))." }
    }
    $pki
}

function Start-BenchBroker {
    $ports = foreach ($k in 1, 2) {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start(); $listener
    }
    $port = $ports[0].LocalEndpoint.Port; $tlsPort = $ports[1].LocalEndpoint.Port
    foreach ($listener in $ports) { $listener.Stop() }
    $log = New-WorkFile 'mosquitto.log'
    $config = New-WorkFile 'mosquitto.conf'
    # Two listeners: plain MQTT, and MQTT over TLS with the bench's server certificate (New-BenchPki). Settings are
    # global (per_listener_settings false, the default), so both allow anonymous clients. As root, 'user root'
    # below keeps mosquitto from dropping to a user that could not read the key file.
    $lines = @(
        "listener $port 127.0.0.1"
        "listener $tlsPort 127.0.0.1"
        "certfile $($script:Pki.CertFile)"
        "keyfile $($script:Pki.KeyFile)"
        'allow_anonymous true'
        'max_queued_messages 0'
        'max_inflight_messages 0'
        'persistence false'
        "log_dest file $log"
        'log_type error', 'log_type warning', 'log_type notice', 'log_type information'
        # One line per SUBSCRIBE ("<client id> <qos> <filter>"): how the benchmark knows a subscriber is ready.
        'log_type subscribe'
    )
    if (-not $IsWindows -and (& id -u) -eq '0') { $lines = @('user root') + $lines }
    [System.IO.File]::WriteAllLines($config, [string[]]$lines)
    $script:State.Broker = Start-BenchProcess -FilePath (Get-CommandPath 'mosquitto') -ArgumentList @('-c', $config) -Name 'mosquitto'
    $script:State.BrokerLog = $log
    $script:State.Port = $port
    $script:State.TlsPort = $tlsPort
    Wait-Until -TimeoutSeconds 10 -Because "mosquitto to listen on 127.0.0.1:$port and (TLS) $tlsPort" -Condition {
        if ($script:State.Broker.Process.HasExited) { throw "mosquitto exited: $(Read-SharedText $script:State.Broker.Err)$(Read-SharedText $log)" }
        (Read-SharedText $log) -match "mosquitto version \S+ running"
    }
}

function Wait-Subscribed([string] $ClientId, [string] $Topic, [object] $Handle) {
    # mosquitto logs "<id> <qos> <filter>" after adding the subscription, before its SUBACK.
    $pattern = '(?m)^\d+: ' + [regex]::Escape($ClientId) + ' \d ' + [regex]::Escape($Topic) + '\s*$'
    Wait-Until -TimeoutSeconds 30 -Because "$ClientId to subscribe to $Topic" -Condition {
        if ($Handle -and $Handle.Process.HasExited) {
            throw "$ClientId exited before subscribing: $(Read-SharedText $Handle.Err)$(Read-SharedText $Handle.Out)"
        }
        (Read-SharedText $script:State.BrokerLog) -match $pattern
    }
}

function Start-Checker([string] $Topic, [int] $Count, [string] $Format) {
    # mosquitto_sub -C N at QoS 1 into a file, subscribed (per the broker) before this returns.
    $id = 'bench-check-{0}' -f (++$script:State.Counter)
    $argv = @('-h', '127.0.0.1', '-p', [string]$script:State.Port, '-t', $Topic, '-q', '1', '-C', [string]$Count, '-i', $id, '-W', '900')
    if ($Format) { $argv += @('-F', $Format) }
    $handle = Start-BenchProcess -FilePath (Get-CommandPath 'mosquitto_sub') -ArgumentList $argv -Name 'mosquitto_sub'
    Wait-Subscribed $id $Topic $handle
    [pscustomobject]@{ Handle = $handle; Count = $Count; Topic = $Topic }
}

function Complete-Checker($Checker, [double] $TimeoutSeconds = 60) {
    # Waits (bounded) for the subscriber to have every message; returns how many it got.
    $null = Wait-BenchProcess $Checker.Handle -TimeoutSeconds $TimeoutSeconds
    Get-LineCount $Checker.Handle.Out
}

#endregion

#region A ReadyToRun copy of this PowerShell

# PowerShell's MSI and zip packages ship its assemblies precompiled ReadyToRun; the `dotnet tool` PowerShell that
# this repository pins is IL only, so .NET compiles PowerShell's own code while it runs (docs/benchmarks.md). The
# benchmark repeats the first publish pipeline and the scheduled task in a copy of the running PowerShell whose
# assemblies it compiles with crossgen2, so that each run also shows the figures of an installed PowerShell.

function Get-Crossgen2Path {
    # crossgen2 is a NuGet package, restored by the SDK for build.ps1's ReadyToRun copy of the library; the newest
    # one for this runtime's major.minor version, or $null.
    $arch = [System.Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture.ToString().ToLowerInvariant()
    $rid = "$($IsMacOS ? 'osx' : 'linux')-$arch"
    # The folder NuGet restores into, as the SDK sees it (NUGET_PACKAGES, a NuGet.Config, or ~/.nuget/packages).
    $listed = @(& (Get-CommandPath 'dotnet') nuget locals global-packages --list 2>$null) -join "`n"
    $packages = if ($LASTEXITCODE -eq 0 -and $listed -match 'global-packages:\s*(\S.*)') { $Matches[1].Trim() } else { Join-Path $HOME '.nuget/packages' }
    $folder = Join-Path $packages "microsoft.netcore.app.crossgen2.$rid"
    if (-not (Test-Path -LiteralPath $folder)) { return $null }
    $runtime = [Environment]::Version
    $newest = Get-ChildItem -LiteralPath $folder -Directory |
        ForEach-Object { $v = $null; if ([version]::TryParse($_.Name, [ref] $v) -and $v.Major -eq $runtime.Major -and $v.Minor -eq $runtime.Minor) { [pscustomobject]@{ Version = $v; Path = $_.FullName } } } |
        Sort-Object Version | Select-Object -Last 1
    if (-not $newest) { return $null }
    $exe = Join-Path $newest.Path 'tools/crossgen2'
    if (Test-Path -LiteralPath $exe) { [pscustomobject]@{ FilePath = $exe; Version = $newest.Version; Arch = $arch } } else { $null }
}

function Test-ILOnlyAssembly([string] $Path) {
    # A managed assembly without precompiled code (no ReadyToRun header); false for native libraries.
    try {
        $stream = [System.IO.File]::OpenRead($Path)
        try {
            $pe = [System.Reflection.PortableExecutable.PEReader]::new($stream)
            try { $pe.HasMetadata -and $pe.PEHeaders.CorHeader.ManagedNativeHeaderDirectory.Size -eq 0 } finally { $pe.Dispose() }
        }
        finally { $stream.Dispose() }
    }
    catch [System.BadImageFormatException] { $false }
}

function New-ReadyToRunPowerShell {
    # Copies $PSHOME into the work folder and compiles each of its IL-only assemblies ReadyToRun against this
    # runtime, one crossgen2 process per assembly (crossgen2 compiles only the first input unless asked for a
    # composite image). Returns the copy's folder, or $null with the reason in $script:ReadyToRun.Note.
    $crossgen = Get-Crossgen2Path
    if (-not $crossgen) {
        $script:ReadyToRun.Note = "not measured: no crossgen2 for .NET $([Environment]::Version.ToString(2)) in the NuGet package folder (./build.ps1 build restores it on linux-x64)"
        return $null
    }
    $copy = Join-Path $script:State.Work 'powershell-readytorun'
    Copy-Item -LiteralPath $PSHOME -Destination $copy -Recurse
    $framework = [System.Runtime.InteropServices.RuntimeEnvironment]::GetRuntimeDirectory()
    $assemblies = @(Get-ChildItem -LiteralPath $PSHOME -Filter '*.dll' -File | Where-Object { Test-ILOnlyAssembly $_.FullName })
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    foreach ($assembly in $assemblies) {
        $r = Invoke-BenchProcess -FilePath $crossgen.FilePath -Name 'crossgen2' -TimeoutSeconds 300 -ArgumentList @(
            $assembly.FullName, '-o', (Join-Path $copy $assembly.Name), '-r', (Join-Path $PSHOME '*.dll'), '-r', (Join-Path $framework '*.dll'),
            '--targetos', ($IsMacOS ? 'osx' : 'linux'), '--targetarch', $crossgen.Arch, '-O')
        if ($r.ExitCode -ne 0) { throw "crossgen2 could not compile $($assembly.Name) ($(Get-ProblemText $r))." }
    }
    $script:ReadyToRun.Note = "$($assemblies.Count) IL assemblies of $PSHOME compiled with crossgen2 $($crossgen.Version) in $(Format-Number $watch.Elapsed.TotalSeconds 'N0') s"
    $copy
}

#endregion

#region Child scripts

$ChildCommon = @'
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
function Write-Result([hashtable] $Values) { 'RESULT ' + ($Values | ConvertTo-Json -Compress) }
function Get-Memory {
    [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
    $self = [System.Diagnostics.Process]::GetCurrentProcess(); $self.Refresh()
    @{ WorkingSetMB = $self.WorkingSet64 / 1MB; PeakMB = $self.PeakWorkingSet64 / 1MB; HeapMB = [GC]::GetTotalMemory($true) / 1MB
        CommittedMB = [GC]::GetGCMemoryInfo().TotalCommittedBytes / 1MB }
}
Import-Module (Join-Path $ModulePath 'SangoPS.psd1')
$null = Connect-Sango "mqtt://127.0.0.1:$Port" -ClientId $ClientId
'@

# -Pipelines N runs the same pipeline N times in this one process, pipeline k to "<Topic>/k": the first pays
# PowerShell's and .NET's first-use compilation, the later ones show the steady state. -InputOnly times
# "Get-Content | Out-Null" instead: what the input side alone costs in the same, freshly started process.
$PublishChild = @'
param([string] $ModulePath, [int] $Port, [string] $ClientId, [string] $Topic, [int] $QoS, [string] $File, [switch] $Memory,
    [int] $Pipelines = 1, [switch] $InputOnly)
'@ + "`n" + $ChildCommon + "`n" + @'
if ($Memory) { $before = Get-Memory }
$elapsed = foreach ($k in 1..$Pipelines) {
    $to = if ($Pipelines -gt 1) { "$Topic/$k" } else { $Topic }
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    if ($InputOnly) { Get-Content -LiteralPath $File | Out-Null }
    else { Get-Content -LiteralPath $File | Publish-SangoMessage -Topic $to -QoS $QoS }
    $watch.Elapsed.TotalMilliseconds
}
$values = @{ elapsedMs = @($elapsed) }
if ($Memory) { $after = Get-Memory; $values.before = $before; $values.after = $after }
Disconnect-Sango
Write-Result $values
'@

$BatchChild = @'
param([string] $ModulePath, [int] $Port, [string] $ClientId, [string] $Topic, [int] $Count)
'@ + "`n" + $ChildCommon + "`n" + @'
# Typical telemetry: one reading of one sensor of one host, with its time.
$hosts = 'web01', 'web02', 'db01', 'db02'
$start = [DateTime]::new(2026, 11, 28, 0, 0, 0, [DateTimeKind]::Utc)
$samples = foreach ($i in 1..$Count) {
    [pscustomobject]@{ host = $hosts[$i % 4]; sensor = 'cpu'; value = [math]::Round(($i * 7.3) % 100, 1); unit = '%'; at = $start.AddSeconds(30 * $i).ToString('yyyy-MM-ddTHH:mm:ssZ'); seq = $i }
}
$limit = (Get-SangoSession -Default).MaxPayloadBytes
$watch = [System.Diagnostics.Stopwatch]::StartNew()
$results = @($samples | Publish-SangoMessage -Topic $Topic -QoS 1 -Batch -PassThru)
$watch.Stop()
$sampleBytes = ($samples | ForEach-Object { [Text.Encoding]::UTF8.GetByteCount(($_ | ConvertTo-Json -Compress)) } | Measure-Object -Average).Average
Disconnect-Sango
Write-Result @{ messages = $results.Count; samples = ($results | Measure-Object SampleCount -Sum).Sum; bytes = ($results | Measure-Object PayloadBytes -Sum).Sum
    limit = $limit; sampleBytes = $sampleBytes; elapsedMs = $watch.Elapsed.TotalMilliseconds }
'@

$ReceiveChild = @'
param([string] $ModulePath, [int] $Port, [string] $ClientId, [string] $Topic, [int] $Count, [ValidateSet('latency', 'rate', 'memory')] [string] $Mode,
    [string] $GoFile, [int] $TimeoutSeconds)
'@ + "`n" + $ChildCommon + "`n" + @'
$n = 0
if ($Mode -eq 'latency') {
    # Each payload is its send time in Unix microseconds; the latency is taken as the message reaches the pipeline.
    $epoch = [DateTime]::UnixEpoch.Ticks
    $latency = [double[]]::new($Count)
    Receive-SangoMessage -Topic $Topic -QoS 1 -Count $Count -TimeoutSeconds $TimeoutSeconds | ForEach-Object {
        $latency[$n++] = (([DateTime]::UtcNow.Ticks - $epoch) / 10 - [long]$_.Payload) / 1000.0
    }
    # Also the p99 without the first second (first use of the receive path in this process), to tell a start-up
    # tail from a steady one; reported in the details, not in the target row.
    $skip = [math]::Min(1000, [int]($Count / 10))
    $steady = [double[]]$latency[$skip..($Count - 1)]
    [Array]::Sort($steady)
    [Array]::Sort($latency)
    $rank = { param($sorted, $f) $sorted[[math]::Min([math]::Max([math]::Ceiling($f * $sorted.Count) - 1, 0), $sorted.Count - 1)] }
    $values = @{ count = $n; p50Ms = (& $rank $latency 0.50); p99Ms = (& $rank $latency 0.99); maxMs = $latency[$Count - 1]
        skipped = $skip; p99SteadyMs = (& $rank $steady 0.99) }
}
elseif ($Mode -eq 'rate') {
    # The first message waits for the go file (the burst is then queued in front of the pipeline); the other
    # Count-1 are timed.
    $watch = [System.Diagnostics.Stopwatch]::new()
    Receive-SangoMessage -Topic $Topic -QoS 1 -Count $Count -TimeoutSeconds $TimeoutSeconds | ForEach-Object {
        if ($n++ -eq 0) {
            while (-not [System.IO.File]::Exists($GoFile)) { Start-Sleep -Milliseconds 5 }
            $watch.Start()
        }
    }
    $watch.Stop()
    $values = @{ count = $n; elapsedMs = $watch.Elapsed.TotalMilliseconds; perSecond = ($Count - 1) / [math]::Max($watch.Elapsed.TotalSeconds, 1e-9) }
}
else {
    $before = Get-Memory
    Receive-SangoMessage -Topic $Topic -QoS 1 -Count $Count -TimeoutSeconds $TimeoutSeconds | ForEach-Object { $n++ }
    $after = Get-Memory
    $values = @{ count = $n; before = $before; after = $after }
}
Disconnect-Sango
Write-Result $values
'@

#endregion

#region Cases

function New-Outcome {
    # One case's result: the runs' values, what failed, and what goes into the table.
    param([string] $Case)
    [pscustomobject]@{ Case = $Case; Values = [ordered]@{}; Failures = [System.Collections.Generic.List[string]]::new(); Details = [System.Collections.Generic.List[string]]::new() }
}

function Add-Failure($Outcome, [string] $Text) {
    # One line, safe inside a markdown table cell.
    $Text = ($Text.Trim() -replace '\s*\r?\n\s*', ' ') -replace '\|', '\|'
    $Outcome.Failures.Add($Text)
    $script:State.Failures.Add("$($Outcome.Case): $Text")
    Write-Host "  FAILED: $Text"
}

function New-Series([string[]] $Names) {
    # One list of per-run values per tool, in the order the tools are run and reported.
    $series = [ordered]@{}
    foreach ($name in $Names) { $series[$name] = [System.Collections.Generic.List[double]]::new() }
    $series
}

function Add-Medians($Outcome, $Series, [string] $Unit, [string] $Format = 'N0') {
    # The median of each tool's runs goes into the table; every run's value into the details.
    foreach ($name in $Series.Keys) {
        $Outcome.Values[$name] = Get-Median $Series[$name].ToArray()
        $Outcome.Details.Add("$name $Unit per run: $((@($Series[$name]) | ForEach-Object { Format-Number $_ $Format }) -join ', ')")
    }
}

function Invoke-PwshChild {
    # Starts `pwsh -File Script Arguments`; the caller waits for it (bounded) with Wait-BenchProcess.
    param([string] $Script, [string[]] $Arguments, [string] $Name = 'pwsh', [hashtable] $Environment = @{},
        [string] $PowerShellHome = $PSHOME)
    $pwsh = Get-PwshInvocation -PowerShellHome $PowerShellHome
    $argv = $pwsh.Prefix + @('-NoProfile', '-NonInteractive', '-File', $Script) + $Arguments
    Start-BenchProcess -FilePath $pwsh.FilePath -ArgumentList $argv -Name $Name -Environment $Environment
}

function Measure-Publish {
    param([int] $QoS)
    $case = "publish-qos$QoS"
    $outcome = New-Outcome $case
    $lines = $script:Files.PublishLines
    # 'SangoPS' is the first pipeline of a fresh pwsh (the target's row); the same child then runs it
    # $LaterPipelines more times ('SangoPS, later pipelines'). 'Get-Content alone' is the input side by itself in
    # a fresh pwsh: no pipeline fed by it can be faster. 'SangoPS, no tiering' is the first row again in a pwsh
    # started with DOTNET_TieredCompilation=0, where PowerShell's own code is compiled optimized at once: it shows
    # how much of the first row is .NET compiling PowerShell (a start-up setting of pwsh, not of the module).
    # 'SangoPS, ReadyToRun PowerShell' is the first row again in the ReadyToRun copy of this PowerShell: the
    # PowerShell that its installers ship.
    $tools = New-Series 'SangoPS', 'SangoPS, later pipelines', 'SangoPS, no tiering', 'SangoPS, ReadyToRun PowerShell', 'Get-Content alone', 'mosquitto_pub', 'raw MQTTnet'
    $timeout = [math]::Max(60, $PublishCount / 500)
    for ($run = 1; $run -le $Runs; $run++) {
        foreach ($tool in @($tools.Keys)) {
            if ($tool -eq 'SangoPS, later pipelines') { continue }
            if ($tool -eq 'SangoPS, ReadyToRun PowerShell' -and -not $script:ReadyToRun.Home) { continue }
            try {
                $topic = "bench/$case/$run/$($tool -replace '\W', '')"
                $pipelines = if ($tool -eq 'SangoPS') { 1 + $LaterPipelines } else { 1 }
                $checkers = if ($tool -eq 'SangoPS') { foreach ($k in 1..$pipelines) { Start-Checker -Topic "$topic/$k" -Count $PublishCount } }
                elseif ($tool -ne 'Get-Content alone') { Start-Checker -Topic $topic -Count $PublishCount }
                $ms = $null
                if ($tool -in 'SangoPS', 'SangoPS, no tiering', 'SangoPS, ReadyToRun PowerShell', 'Get-Content alone') {
                    $arguments = @('-ModulePath', $script:Module, '-Port', $script:State.Port, '-ClientId', "bench-sango-$case-$run", '-Topic', $topic,
                        '-QoS', $QoS, '-File', $lines, '-Pipelines', $pipelines)
                    if ($tool -eq 'Get-Content alone') { $arguments += '-InputOnly' }
                    $environment = if ($tool -eq 'SangoPS, no tiering') { @{ DOTNET_TieredCompilation = '0' } } else { @{} }
                    $powerShellHome = if ($tool -eq 'SangoPS, ReadyToRun PowerShell') { $script:ReadyToRun.Home } else { $PSHOME }
                    $r = Wait-BenchProcess (Invoke-PwshChild -Script $script:Files.PublishChild -Arguments $arguments -Environment $environment -PowerShellHome $powerShellHome) -TimeoutSeconds ($timeout * $pipelines)
                    if ($r.ExitCode -eq 0 -and $r.Result) {
                        [double[]] $each = $r.Result.elapsedMs
                        $ms = $each[0]
                        if ($each.Count -gt 1) { $each[1..($each.Count - 1)] | ForEach-Object { $tools['SangoPS, later pipelines'].Add($PublishCount / ($_ / 1000)) } }
                    }
                }
                elseif ($tool -eq 'mosquitto_pub') {
                    # Wall time of the whole process, as a script would see it.
                    $r = Invoke-BenchProcess -FilePath (Get-CommandPath 'mosquitto_pub') -StdIn $lines -TimeoutSeconds $timeout -ArgumentList @(
                        '-h', '127.0.0.1', '-p', $script:State.Port, '-l', '-q', $QoS, '-t', $topic)
                    if ($r.ExitCode -eq 0) { $ms = $r.Ms }
                }
                else {
                    $r = Invoke-BenchProcess -FilePath $script:Raw.FilePath -TimeoutSeconds $timeout -Name 'raw-publish' -ArgumentList ($script:Raw.Prefix + @(
                            'publish', '127.0.0.1', $script:State.Port, $topic, $QoS, $lines, "bench-raw-$case-$run"))
                    if ($r.ExitCode -eq 0 -and $r.Result) { $ms = [double]$r.Result.elapsedMs }
                }
                $got = @(foreach ($checker in $checkers) { Complete-Checker $checker -TimeoutSeconds 60 })
                $short = @($got | Where-Object { $_ -ne $PublishCount })
                if ($null -eq $ms) {
                    Add-Failure $outcome "$tool run $run did not complete: $(Get-ProblemText $r)"
                }
                elseif ($short) {
                    Add-Failure $outcome "$tool run $run`: a subscriber got $(Format-Number $short[0]) of $(Format-Number $PublishCount) messages"
                }
                else {
                    $tools[$tool].Add($PublishCount / ($ms / 1000))
                }
                $received = if ($got) { "subscriber got $(($got | ForEach-Object { Format-Number $_ }) -join ' + ')" } else { 'no subscriber' }
                $shown = if ($null -ne $ms) { "$(Format-Number $ms 'N0') ms (first pipeline), $received" } else { 'no time' }
                Write-Host ("  QoS {0} run {1} {2,-13} {3}" -f $QoS, $run, $tool, $shown)
            }
            catch { Add-Failure $outcome "$tool run $run`: $($_.Exception.Message)" }
        }
    }
    Add-Medians $outcome $tools 'msg/s'
    $outcome
}

function Measure-ScheduledTask {
    $outcome = New-Outcome 'scheduled-task'
    $manifest = Join-Path $script:Module 'SangoPS.psd1'
    # 'SangoPS' is the scheduled-task recipe (docs/scheduled-tasks.md): the session is kept in a variable, as a task
    # has no console. 'SangoPS, session printed' also prints it: the first formatting in a process costs PowerShell
    # itself some 70 ms for any object, so it is reported beside the target, not as it.
    # The 'ReadyToRun PowerShell' forms are the tasks and bare pwsh again in the ReadyToRun copy of this
    # PowerShell: the module's overhead over an installed PowerShell's own start-up (the target rows).
    # 'over TLS' is the same task with mqtts to the broker's TLS listener: Connect-Sango -CaFile with the bench's CA,
    # dialling 127.0.0.1 as a.sango.test (the server certificate is for *.sango.test); mosquitto_pub over TLS is
    # `mosquitto_pub --cafile` to the same listener (it checks the certificate's IP address 127.0.0.1).
    $times = New-Series 'SangoPS', 'SangoPS, session printed', 'bare pwsh', 'SangoPS, ReadyToRun PowerShell', 'bare pwsh, ReadyToRun PowerShell',
        'SangoPS over TLS', 'SangoPS over TLS, ReadyToRun PowerShell', 'mosquitto_pub', 'mosquitto_pub over TLS', 'Import-Module'
    for ($run = 1; $run -le $Runs; $run++) {
        foreach ($what in @($times.Keys)) {
            if ($what -like '*ReadyToRun PowerShell' -and -not $script:ReadyToRun.Home) { continue }
            try {
                $topic = "bench/task/$run/$($what -replace '\W', '')"
                # Every task's message is checked on the plain listener (the broker is the same).
                $checker = if ($what -like 'SangoPS*' -or $what -like 'mosquitto_pub*') { Start-Checker -Topic $topic -Count 1 } else { $null }
                $pwsh = Get-PwshInvocation -PowerShellHome ($what -like '*ReadyToRun PowerShell' ? $script:ReadyToRun.Home : $PSHOME)
                $r = switch ($what) {
                    { $_ -like 'SangoPS*' } {
                        # The same task; only the printing form does not keep the session, so the others print nothing.
                        $connect = if ($what -like 'SangoPS over TLS*') {
                            "Connect-Sango mqtts://127.0.0.1:$($script:State.TlsPort) -CaFile '$($script:Pki.CaFile)' -TlsServerName $TlsServerName"
                        }
                        else { "Connect-Sango mqtt://127.0.0.1:$($script:State.Port)" }
                        $command = if ($what -ne 'SangoPS, session printed') { "Import-Module '$manifest'; `$session = $connect; Publish-SangoMessage -Session `$session -Topic $topic -Payload x; Disconnect-Sango `$session" }
                        else { "Import-Module '$manifest'; $connect; Publish-SangoMessage -Topic $topic -Payload x; Disconnect-Sango" }
                        Invoke-BenchProcess -FilePath $pwsh.FilePath -ArgumentList ($pwsh.Prefix + @('-NoProfile', '-NonInteractive', '-Command', $command)) -TimeoutSeconds 60 -Name 'pwsh-task'
                    }
                    { $_ -like 'bare pwsh*' } {
                        Invoke-BenchProcess -FilePath $pwsh.FilePath -ArgumentList ($pwsh.Prefix + @('-NoProfile', '-NonInteractive', '-Command', 'exit')) -TimeoutSeconds 60 -Name 'pwsh-bare'
                    }
                    'mosquitto_pub' {
                        Invoke-BenchProcess -FilePath (Get-CommandPath 'mosquitto_pub') -ArgumentList @('-h', '127.0.0.1', '-p', $script:State.Port, '-t', $topic, '-m', 'x') -TimeoutSeconds 30
                    }
                    'mosquitto_pub over TLS' {
                        Invoke-BenchProcess -FilePath (Get-CommandPath 'mosquitto_pub') -Name 'mosquitto_pub-tls' -TimeoutSeconds 30 -ArgumentList @(
                            '-h', '127.0.0.1', '-p', $script:State.TlsPort, '--cafile', $script:Pki.CaFile, '-t', $topic, '-m', 'x')
                    }
                    'Import-Module' {
                        $command = "'RESULT ' + (@{ ms = (Measure-Command { Import-Module '$manifest' }).TotalMilliseconds } | ConvertTo-Json -Compress)"
                        Invoke-BenchProcess -FilePath $pwsh.FilePath -ArgumentList ($pwsh.Prefix + @('-NoProfile', '-NonInteractive', '-Command', $command)) -TimeoutSeconds 60 -Name 'pwsh-import'
                    }
                }
                $got = if ($checker) { Complete-Checker $checker -TimeoutSeconds 10 } else { 1 }
                $ms = if ($what -eq 'Import-Module') { if ($r.Result) { [double]$r.Result.ms } else { $null } } else { $r.Ms }
                if ($r.ExitCode -ne 0 -or $null -eq $ms) { Add-Failure $outcome "$what run $run did not complete: $(Get-ProblemText $r)" }
                elseif ($got -ne 1) { Add-Failure $outcome "$what run $run`: the subscriber did not get the message" }
                else { $times[$what].Add($ms) }
                Write-Host ("  run {0} {1,-13} {2} ms" -f $run, $what, (Format-Number ([double]$ms) 'N1'))
            }
            catch { Add-Failure $outcome "$what run $run`: $($_.Exception.Message)" }
        }
    }
    Add-Medians $outcome $times 'ms' 'N1'
    $outcome
}

function Measure-ReceiveLatency {
    $outcome = New-Outcome 'receive-latency'
    $results = [ordered]@{ SangoPS = [System.Collections.Generic.List[object]]::new(); mosquitto_sub = [System.Collections.Generic.List[object]]::new(); 'raw MQTTnet' = [System.Collections.Generic.List[object]]::new() }
    $timeout = [int]($LatencyCount / $LatencyRate) + 60
    for ($run = 1; $run -le $Runs; $run++) {
        foreach ($tool in @($results.Keys)) {
            try {
                $topic = "bench/latency/$run/$($tool -replace '\W', '')"
                $id = "bench-lat-$run-$($tool -replace '\W', '')"
                $receiver = switch ($tool) {
                    'SangoPS' {
                        Invoke-PwshChild -Script $script:Files.ReceiveChild -Name 'pwsh-latency' -Arguments @(
                            '-ModulePath', $script:Module, '-Port', $script:State.Port, '-ClientId', $id, '-Topic', $topic, '-Count', $LatencyCount, '-Mode', 'latency', '-TimeoutSeconds', $timeout)
                    }
                    'mosquitto_sub' {
                        # Prints its receive time (%U, Unix seconds with nanoseconds) before each payload.
                        Start-BenchProcess -FilePath (Get-CommandPath 'mosquitto_sub') -Name 'mosquitto_sub-latency' -ArgumentList @(
                            '-h', '127.0.0.1', '-p', $script:State.Port, '-t', $topic, '-q', '1', '-C', $LatencyCount, '-i', $id, '-W', $timeout, '-F', '%U %p')
                    }
                    'raw MQTTnet' {
                        Start-BenchProcess -FilePath $script:Raw.FilePath -Name 'raw-latency' -ArgumentList ($script:Raw.Prefix + @(
                                'receive', '127.0.0.1', $script:State.Port, $topic, '1', $LatencyCount, 'latency', $id, $timeout))
                    }
                }
                $sender = $null; $r = $null
                try {
                    Wait-Subscribed $id $topic $receiver
                    $sender = Invoke-BenchProcess -FilePath $script:Raw.FilePath -Name 'pace' -TimeoutSeconds $timeout -ArgumentList ($script:Raw.Prefix + @(
                            'pace', $LatencyCount, $LatencyRate, '500', (Get-CommandPath 'mosquitto_pub'), '-h', '127.0.0.1', '-p', $script:State.Port, '-t', $topic, '-q', '1', '-l'))
                    $r = Wait-BenchProcess $receiver -TimeoutSeconds 30
                }
                finally { if (-not $r) { $null = Wait-BenchProcess $receiver -TimeoutSeconds 0.1 } }
                $value = $null
                if ($tool -eq 'mosquitto_sub') {
                    $lat = [System.Collections.Generic.List[double]]::new()
                    foreach ($line in ($r.Out -split "`n")) {
                        if ($line -match '^(\d+)\.(\d{9}) (\d+)\s*$') {
                            $receivedUs = [long]$Matches[1] * 1000000 + [long]$Matches[2].Substring(0, 6)
                            $lat.Add(($receivedUs - [long]$Matches[3]) / 1000.0)
                        }
                    }
                    $sorted = [double[]]($lat | Sort-Object)
                    if ($sorted.Count -gt 0) { $value = @{ count = $sorted.Count; p50Ms = (Get-Percentile $sorted 0.5); p99Ms = (Get-Percentile $sorted 0.99); maxMs = $sorted[-1] } }
                }
                elseif ($r.Result) {
                    $value = @{ count = [int]$r.Result.count; p50Ms = [double]$r.Result.p50Ms; p99Ms = [double]$r.Result.p99Ms; maxMs = [double]$r.Result.maxMs }
                    if ($r.Result.PSObject.Properties['p99SteadyMs']) { $value.p99SteadyMs = [double]$r.Result.p99SteadyMs; $value.skipped = [int]$r.Result.skipped }
                }

                $rate = if ($sender -and $sender.Result) { [double]$sender.Result.perSecond } else { 0 }
                if (-not $sender -or $sender.ExitCode -ne 0) { Add-Failure $outcome "the sender for $tool run $run failed: $(if ($sender) { Get-ProblemText $sender } else { 'not started' })" }
                elseif (-not $value -or $value.count -ne $LatencyCount) {
                    Add-Failure $outcome "$tool run $run received $(if ($value) { Format-Number $value.count } else { 'no result:' }) $(if ($value) { "of $(Format-Number $LatencyCount) messages" } else { Get-ProblemText $r })"
                }
                else {
                    $results[$tool].Add($value)
                    Write-Host ("  run {0} {1,-13} p50 {2} ms, p99 {3} ms, max {4} ms (sent at {5}/s)" -f $run, $tool,
                        (Format-Number $value.p50Ms 'N3'), (Format-Number $value.p99Ms 'N3'), (Format-Number $value.maxMs 'N1'), (Format-Number $rate 'N0'))
                }
            }
            catch { Add-Failure $outcome "$tool run $run`: $($_.Exception.Message)" }
        }
    }
    foreach ($tool in $results.Keys) {
        $runsOf = @($results[$tool])
        $outcome.Values["$tool p50"] = Get-Median ([double[]]@($runsOf | ForEach-Object { $_.p50Ms }))
        $outcome.Values["$tool p99"] = Get-Median ([double[]]@($runsOf | ForEach-Object { $_.p99Ms }))
        $outcome.Details.Add("$tool p50/p99/max ms per run: $(($runsOf | ForEach-Object { '{0}/{1}/{2}' -f (Format-Number $_.p50Ms 'N3'), (Format-Number $_.p99Ms 'N3'), (Format-Number $_.maxMs 'N1') }) -join ', ')")
        $steady = @($runsOf | Where-Object { $_.ContainsKey('p99SteadyMs') })
        if ($steady) {
            $outcome.Details.Add("$tool p99 without the first $(Format-Number $steady[0].skipped) messages (start-up) ms per run: $(($steady | ForEach-Object { Format-Number $_.p99SteadyMs 'N3' }) -join ', ')")
        }
    }
    $outcome
}

function Measure-ReceiveRate {
    $outcome = New-Outcome 'receive-rate'
    $rates = New-Series 'SangoPS', 'raw MQTTnet'
    $timeout = [math]::Max(120, $BurstCount / 200)
    for ($run = 1; $run -le $Runs; $run++) {
        foreach ($tool in @($rates.Keys)) {
            try {
                $topic = "bench/burst/$run/$($tool -replace '\W', '')"
                $id = "bench-burst-$run-$($tool -replace '\W', '')"
                $go = New-WorkFile 'go'
                $receiver = if ($tool -eq 'SangoPS') {
                    Invoke-PwshChild -Script $script:Files.ReceiveChild -Name 'pwsh-burst' -Arguments @(
                        '-ModulePath', $script:Module, '-Port', $script:State.Port, '-ClientId', $id, '-Topic', $topic, '-Count', $BurstCount, '-Mode', 'rate', '-GoFile', $go, '-TimeoutSeconds', $timeout)
                }
                else {
                    Start-BenchProcess -FilePath $script:Raw.FilePath -Name 'raw-burst' -ArgumentList ($script:Raw.Prefix + @(
                            'receive', '127.0.0.1', $script:State.Port, $topic, '1', $BurstCount, 'rate', $id, $timeout, $go))
                }
                $problem = $null; $r = $null; $completed = $false
                try {
                    Wait-Subscribed $id $topic $receiver
                    $checker = Start-Checker -Topic $topic -Count $BurstCount
                    # The burst: mosquitto_pub -l at QoS 1 (below 65,535 messages, where its message ids would wrap).
                    $burst = Invoke-BenchProcess -FilePath (Get-CommandPath 'mosquitto_pub') -StdIn $script:Files.BurstLines -TimeoutSeconds $timeout -ArgumentList @(
                        '-h', '127.0.0.1', '-p', $script:State.Port, '-l', '-q', '1', '-t', $topic)
                    $got = Complete-Checker $checker -TimeoutSeconds 60
                    if ($burst.ExitCode -ne 0) { $problem = "the burst sender failed: $(Get-ProblemText $burst)" }
                    elseif ($got -ne $BurstCount) { $problem = "the checking subscriber got $(Format-Number $got) of $(Format-Number $BurstCount)" }
                    $completed = $true
                }
                finally {
                    # Let the receiver's first message pass: it then drains the burst (or, after a failure, ends).
                    [System.IO.File]::WriteAllText($go, 'go')
                    if ($problem -or -not $completed) { $null = Wait-BenchProcess $receiver -TimeoutSeconds 0.1 }
                }
                $r = Wait-BenchProcess $receiver -TimeoutSeconds $timeout
                $count = if ($r.Result) { [int]$r.Result.count } else { 0 }
                if ($problem) { Add-Failure $outcome "$tool run $run`: $problem" }
                elseif ($r.ExitCode -ne 0 -or -not $r.Result) { Add-Failure $outcome "$tool run $run did not complete: $(Get-ProblemText $r)" }
                elseif ($count -ne $BurstCount) { Add-Failure $outcome "$tool run $run received $(Format-Number $count) of $(Format-Number $BurstCount) messages" }
                else {
                    $rates[$tool].Add([double]$r.Result.perSecond)
                    Write-Host ("  run {0} {1,-13} {2} msg/s" -f $run, $tool, (Format-Number ([double]$r.Result.perSecond)))
                }
            }
            catch { Add-Failure $outcome "$tool run $run`: $($_.Exception.Message)" }
        }
    }
    Add-Medians $outcome $rates 'msg/s'
    $outcome
}

function Measure-Batching {
    $outcome = New-Outcome 'batching'
    $topic = 'bench/batching'
    try {
        # Subscribed before the publish; -C is never reached, so it is stopped once it has every message.
        $checker = Start-Checker -Topic $topic -Count ($BatchCount + 1) -Format '%p'
        $r = Wait-BenchProcess (Invoke-PwshChild -Script $script:Files.BatchChild -Name 'pwsh-batch' -Arguments @(
                '-ModulePath', $script:Module, '-Port', $script:State.Port, '-ClientId', 'bench-batch', '-Topic', $topic, '-Count', $BatchCount)) -TimeoutSeconds 120
        if ($r.ExitCode -ne 0 -or -not $r.Result) { throw "the publishing pwsh did not complete: $(Get-ProblemText $r)" }
        $messages = [int]$r.Result.messages
        try { Wait-Until { (Get-LineCount $checker.Handle.Out) -ge $messages } -TimeoutSeconds 30 -Because "the subscriber to get $messages message(s)" }
        finally { $null = Wait-BenchProcess $checker.Handle -TimeoutSeconds 0.1 }
        $payloads = @((Read-SharedText $checker.Handle.Out).Split([char]10) | Where-Object { $_ })
        $sequence = @(foreach ($payload in $payloads) { ($payload | ConvertFrom-Json).seq })
        if ($payloads.Count -ne $messages) { Add-Failure $outcome "the subscriber got $($payloads.Count) of $messages messages" }
        elseif ($sequence.Count -ne $BatchCount -or (Compare-Object $sequence (1..$BatchCount) -SyncWindow 0)) {
            Add-Failure $outcome "the messages carried $(Format-Number $sequence.Count) samples, not 1..$(Format-Number $BatchCount) in order"
        }
        else {
            $outcome.Values.Messages = $messages
            $outcome.Values.SamplesPerMessage = $BatchCount / $messages
            $outcome.Values.FillRatio = [double]$r.Result.bytes / $messages / [double]$r.Result.limit
            $outcome.Values.SampleBytes = [double]$r.Result.sampleBytes
            $outcome.Values.SamplesPerSecond = $BatchCount / ([double]$r.Result.elapsedMs / 1000)
            $outcome.Details.Add(('{0} samples of {1} bytes on average (as JSON) in {2} messages of at most {3} bytes: {4} samples per message, {5:P1} full; {6} samples/s through Publish-SangoMessage -Batch' -f
                    (Format-Number $BatchCount), (Format-Number $outcome.Values.SampleBytes 'N0'), $messages, (Format-Number ([double]$r.Result.limit)),
                    (Format-Number $outcome.Values.SamplesPerMessage 'N1'), $outcome.Values.FillRatio, (Format-Number $outcome.Values.SamplesPerSecond)))
            Write-Host "  $($outcome.Details[-1])"
        }
    }
    catch { Add-Failure $outcome $_.Exception.Message }
    $outcome
}

function Measure-Memory {
    param([ValidateSet('receive', 'publish')] [string] $Direction)
    $outcome = New-Outcome "memory-$Direction"
    $topic = "bench/memory/$Direction"
    $id = "bench-mem-$Direction"
    $timeout = [math]::Max(120, $MemoryCount / 1000)
    $r = $null
    try {
        if ($Direction -eq 'receive') {
            $receiver = Invoke-PwshChild -Script $script:Files.ReceiveChild -Name 'pwsh-memory-receive' -Arguments @(
                '-ModulePath', $script:Module, '-Port', $script:State.Port, '-ClientId', $id, '-Topic', $topic, '-Count', $MemoryCount, '-Mode', 'memory', '-TimeoutSeconds', $timeout)
            $sender = $null
            try {
                Wait-Subscribed $id $topic $receiver
                # The plain MQTTnet publisher at QoS 1: unlike mosquitto_pub -l it survives message ids wrapping.
                $sender = Invoke-BenchProcess -FilePath $script:Raw.FilePath -Name 'raw-memory-sender' -TimeoutSeconds $timeout -ArgumentList ($script:Raw.Prefix + @(
                        'publish', '127.0.0.1', $script:State.Port, $topic, '1', $script:Files.MemoryLines, 'bench-mem-sender'))
                $r = Wait-BenchProcess $receiver -TimeoutSeconds 60
            }
            finally { if (-not $r) { $null = Wait-BenchProcess $receiver -TimeoutSeconds 0.1 } }
            if (-not $sender -or $sender.ExitCode -ne 0) { Add-Failure $outcome "the sender failed: $(if ($sender) { Get-ProblemText $sender } else { 'not started' })" }
            elseif ($r.ExitCode -ne 0 -or -not $r.Result) { Add-Failure $outcome "the receiving pwsh did not complete: $(Get-ProblemText $r)" }
            elseif ([int]$r.Result.count -ne $MemoryCount) { Add-Failure $outcome "received $(Format-Number $r.Result.count) of $(Format-Number $MemoryCount) messages" }
        }
        else {
            $checker = Start-Checker -Topic $topic -Count $MemoryCount
            $r = Wait-BenchProcess (Invoke-PwshChild -Script $script:Files.PublishChild -Name 'pwsh-memory-publish' -Arguments @(
                    '-ModulePath', $script:Module, '-Port', $script:State.Port, '-ClientId', $id, '-Topic', $topic, '-QoS', '1', '-File', $script:Files.MemoryLines, '-Memory')) -TimeoutSeconds $timeout
            $got = Complete-Checker $checker -TimeoutSeconds 60
            if ($r.ExitCode -ne 0 -or -not $r.Result) { Add-Failure $outcome "the publishing pwsh did not complete: $(Get-ProblemText $r)" }
            elseif ($got -ne $MemoryCount) { Add-Failure $outcome "the subscriber got $(Format-Number $got) of $(Format-Number $MemoryCount) messages" }
        }
    }
    catch { Add-Failure $outcome $_.Exception.Message }
    if ($outcome.Failures.Count -eq 0) {
        $b = $r.Result.before; $a = $r.Result.after
        $outcome.Values.StartMB = [double]$b.WorkingSetMB
        $outcome.Values.EndMB = [double]$a.WorkingSetMB
        $outcome.Values.GrowthMB = [double]$a.WorkingSetMB - [double]$b.WorkingSetMB
        $outcome.Details.Add(('working set {0} -> {1} MB, peak {2} MB; live managed heap {3} -> {4} MB; memory the GC keeps committed {5} -> {6} MB' -f
                (Format-Number $b.WorkingSetMB 'N1'), (Format-Number $a.WorkingSetMB 'N1'), (Format-Number $a.PeakMB 'N1'), (Format-Number $b.HeapMB 'N1'),
                (Format-Number $a.HeapMB 'N1'), (Format-Number $b.CommittedMB 'N1'), (Format-Number $a.CommittedMB 'N1')))
        Write-Host "  $($outcome.Details[-1])"
    }
    $outcome
}

#endregion

#region Report

function Get-LoadAverage {
    # The 1-minute load average: how busy the machine was besides the benchmark (the benchmark itself adds ~1-2).
    $text = Get-Content /proc/loadavg -ErrorAction SilentlyContinue
    if ($text) { ($text -split ' ')[0] } else { '?' }
}

function Get-RepositoryState {
    # Read-only git queries (no index refresh, no lock): the repository's commit and whether src/ has edits.
    if (-not (Get-Command git -CommandType Application -ErrorAction SilentlyContinue)) { return 'repository state unknown (no git)' }
    $commit = & git -C $Root --no-optional-locks rev-parse --short HEAD 2>$null
    if ($LASTEXITCODE -ne 0 -or -not $commit) { return 'repository state unknown (not a git checkout)' }
    $dirty = @(& git -C $Root --no-optional-locks status --porcelain -- src 2>$null).Count
    "repository at commit $commit$(if ($dirty) { " with $dirty uncommitted file(s) in src/" } else { ', src/ clean' }) when the run started"
}

function Test-Busy([string] $AtStart, [string] $AtEnd) {
    # Busy: load before the benchmark started, or more at the end than the benchmark's own one or two processes.
    $start = 0.0; $end = 0.0
    if (-not [double]::TryParse($AtStart, 'Float', $Invariant, [ref] $start) -or -not [double]::TryParse($AtEnd, 'Float', $Invariant, [ref] $end)) { return $false }
    $start -gt 0.5 -or $end -gt 3
}

function Get-MachineHeader {
    $cpu = (Get-Content /proc/cpuinfo -ErrorAction SilentlyContinue | Where-Object { $_ -match '^model name\s*:' } | Select-Object -First 1) -replace '^model name\s*:\s*', ''
    $memKb = (Get-Content /proc/meminfo -ErrorAction SilentlyContinue | Where-Object { $_ -match '^MemTotal:' }) -replace '\D', ''
    $os = (Get-Content /etc/os-release -ErrorAction SilentlyContinue | Where-Object { $_ -match '^PRETTY_NAME=' }) -replace '^PRETTY_NAME="?|"$', ''
    $mosquitto = ((& (Get-CommandPath 'mosquitto') -h 2>&1) | Select-Object -First 1) -replace '^mosquitto version\s*', ''
    $mqttnet = Get-ChildItem -LiteralPath $script:Module -Filter 'MQTTnet.dll' -File -Recurse | Select-Object -First 1
    $mqttnetVersion = if ($mqttnet) { [System.Diagnostics.FileVersionInfo]::GetVersionInfo($mqttnet.FullName).ProductVersion -replace '\+.*$', '' } else { '?' }
    $moduleVersion = (Import-PowerShellDataFile (Join-Path $script:Module 'SangoPS.psd1')).ModuleVersion
    # The module's source: the commit the SDK stamps into SangoPS.dll's informational version (build.ps1 in a git
    # checkout), and the repository's state when the run started (Get-RepositoryState).
    $dll = Join-Path $script:Module 'SangoPS.dll'
    $dllVersion = if (Test-Path $dll) { [System.Diagnostics.FileVersionInfo]::GetVersionInfo($dll).ProductVersion } else { '?' }
    $built = if ($dllVersion -match '\+([0-9a-f]{7,40})$') { "built from commit $($Matches[1].Substring(0, 7))" } else { 'no source commit recorded in SangoPS.dll' }
    $source = "$built; $($script:RepositoryAtStart)"
    $loadNow = Get-LoadAverage
    @(
        "- Date: $([DateTime]::UtcNow.ToString('yyyy-MM-dd HH:mm', $Invariant)) UTC$(if ($Quick) { ' (-Quick: one run per case, small counts; not a measurement)' })"
        "- Machine: $(& nproc) cores (nproc), $cpu, $(Format-Number ([double]$memKb / 1MB) 'N1') GiB memory"
        "- OS: $os, kernel $(& uname -r)"
        "- PowerShell $($PSVersionTable.PSVersion) on $([System.Runtime.InteropServices.RuntimeInformation]::FrameworkDescription); SangoPS $moduleVersion with MQTTnet $mqttnetVersion; module from $script:Module ($source)"
        "- Load average (1 min) at the start: $script:LoadAtStart, at the end: $loadNow$(if (Test-Busy $script:LoadAtStart $loadNow) { ' — other work was running: the figures are noisier than on an idle machine' })"
        "- ReadyToRun copy of this PowerShell (the rows that name it, where the publish and scheduled-task targets are judged): $($script:ReadyToRun.Note)"
        "- Broker: mosquitto $mosquitto on loopback (max_queued_messages 0, max_inflight_messages 0, other settings default), with a second listener for TLS (ECC P-256 server certificate for *.sango.test, signed by the benchmark's own CA)"
        "- Runs per case: $Runs, median reported (memory: one run each); counts: publish $(Format-Number $PublishCount), latency $(Format-Number $LatencyCount) at $(Format-Number $LatencyRate)/s, burst $(Format-Number $BurstCount), memory $(Format-Number $MemoryCount)"
    )
}

function Format-Met([bool] $Met, $Outcome) {
    # A failed correctness check outranks any target: the numbers of that case are then not to be trusted.
    if ($Outcome.Failures.Count -gt 0) { return "FAILED: $($Outcome.Failures -join '; ')" }
    if ($Met) { 'yes' } else { 'no' }
}

function Format-ReadyToRunMet([bool] $Met, $Outcome) {
    # The Met? cell of a target row, which is measured in the ReadyToRun copy of PowerShell: without the copy
    # there is nothing to judge (the header says why), so never 'yes'.
    if ($Outcome.Failures.Count -gt 0 -or $script:ReadyToRun.Home) { return Format-Met $Met $Outcome }
    'not measured'
}

function Get-Ratio([double] $A, [double] $B) { if ($B -gt 0 -and -not [double]::IsNaN($A)) { $A / $B } else { [double]::NaN } }

function Format-Ratio([double] $Value) { if ([double]::IsNaN($Value)) { '?' } else { (Format-Number $Value 'N2') + '×' } }

function Format-Value([double] $Value, [string] $Format = 'N0') { if ([double]::IsNaN($Value)) { '?' } else { Format-Number $Value $Format } }

function Format-Signed([double] $Value) { if ([double]::IsNaN($Value)) { '?' } else { $Value.ToString('+#,0;−#,0;0', $Invariant) } }

function New-Report($Outcomes) {
    $rows = [System.Collections.Generic.List[string]]::new()
    $rows.Add('| Case | SangoPS | mosquitto_pub | raw MQTTnet | Ratio | Target | Met? |')
    $rows.Add('|---|---:|---:|---:|---|---|---|')
    # The target rows are the ReadyToRun copy's (an installed PowerShell); the IL-only `dotnet tool` rows below each
    # are information, with no target. Without the copy, the target rows read '?' and 'not measured'.
    foreach ($qos in 0, 1) {
        $o = $Outcomes["publish-qos$qos"]
        $m = $o.Values.mosquitto_pub; $raw = $o.Values.'raw MQTTnet'
        $target = if ($qos -eq 1) { $Targets.PublishQos1Ratio } else { $Targets.PublishQos0Ratio }
        $precompiled = $o.Values.'SangoPS, ReadyToRun PowerShell'
        $ratio = Get-Ratio $precompiled $m
        $rows.Add(('| Publish QoS {0}, {1} lines (msg/s), first pipeline of a fresh pwsh, in a ReadyToRun copy of this PowerShell, as its installers ship it | {2} | {3} | {4} | {5} mosquitto_pub; {6} raw MQTTnet | ≥ {7}× mosquitto_pub -l | {8} |' -f $qos,
                (Format-Number $PublishCount), (Format-Value $precompiled), (Format-Value $m), (Format-Value $raw),
                (Format-Ratio $ratio), (Format-Ratio (Get-Ratio $precompiled $raw)), (Format-Number $target 'N1'), (Format-ReadyToRunMet ($ratio -ge $target) $o)))
        $s = $o.Values.SangoPS
        $rows.Add(('| … the same first pipeline in the IL-only `dotnet tool` PowerShell (information; .NET compiles PowerShell''s code as it runs) | {0} | {1} | {2} | {3} mosquitto_pub; {4} raw MQTTnet | — | — |' -f
                (Format-Value $s), (Format-Value $m), (Format-Value $raw), (Format-Ratio (Get-Ratio $s $m)), (Format-Ratio (Get-Ratio $s $raw))))
        $later = $o.Values.'SangoPS, later pipelines'
        $rows.Add(('| … the same pipeline run again in that IL-only pwsh, {0} more run(s), median | {1} | {2} | {3} | {4} mosquitto_pub; {5} raw MQTTnet | — | — |' -f $LaterPipelines,
                (Format-Value $later), (Format-Value $m), (Format-Value $raw), (Format-Ratio (Get-Ratio $later $m)), (Format-Ratio (Get-Ratio $later $raw))))
        $inputSide = $o.Values.'Get-Content alone'
        $rows.Add(('| … `Get-Content lines.txt \| Out-Null` alone, first pipeline of a fresh IL-only pwsh (lines/s) | {0} | — | — | {1} mosquitto_pub: the ceiling of the IL-only first pipeline | — | — |' -f
                (Format-Value $inputSide), (Format-Ratio (Get-Ratio $inputSide $m))))
        $untiered = $o.Values.'SangoPS, no tiering'
        $rows.Add(('| … the IL-only first pipeline again, in a pwsh started with `DOTNET_TieredCompilation=0` (msg/s) | {0} | {1} | {2} | {3} mosquitto_pub: without .NET compiling PowerShell in tiers (a pwsh start-up setting; it slows every start) | — | — |' -f
                (Format-Value $untiered), (Format-Value $m), (Format-Value $raw), (Format-Ratio (Get-Ratio $untiered $m))))
    }
    $o = $Outcomes['scheduled-task']
    $bare = $o.Values.'bare pwsh'
    $precompiledBare = $o.Values.'bare pwsh, ReadyToRun PowerShell'
    $precompiled = $o.Values.'SangoPS, ReadyToRun PowerShell'
    $over = $precompiled - $precompiledBare
    $rows.Add(('| Scheduled task: pwsh + import + connect + 1 message + disconnect, session kept in a variable, in a ReadyToRun copy of this PowerShell, as its installers ship it (ms wall) | {0} | {1} | — | {2} ms over its bare pwsh ({3} ms) | ≤ {4} ms over bare pwsh | {5} |' -f
            (Format-Value $precompiled), (Format-Value $o.Values.mosquitto_pub 'N1'), (Format-Signed $over), (Format-Value $precompiledBare),
            $Targets.ScheduledTaskMs, (Format-ReadyToRunMet ($over -le $Targets.ScheduledTaskMs) $o)))
    $tool = $o.Values.SangoPS
    $toolOver = $tool - $bare
    $rows.Add(('| … the same task in the IL-only `dotnet tool` PowerShell (ms wall; information) | {0} | — | — | {1} ms over its bare pwsh ({2} ms) | — | — |' -f
            (Format-Value $tool), (Format-Signed $toolOver), (Format-Value $bare)))
    $printed = $o.Values.'SangoPS, session printed'
    $rows.Add(('| … the same in the IL-only tool, printing the session (ms wall) | {0} | — | — | {1} ms over its bare pwsh; {2} ms for the first formatting | — | — |' -f
            (Format-Value $printed), (Format-Signed ($printed - $bare)), (Format-Signed ($printed - $tool))))
    $tls = $o.Values.'SangoPS over TLS, ReadyToRun PowerShell'
    $tlsOver = $tls - $precompiledBare
    $rows.Add(('| Scheduled task over TLS: the same with `Connect-Sango mqtts://127.0.0.1:P -CaFile ca.crt -TlsServerName {0}` (ECC P-256 certificate for *.sango.test, the bench''s own CA), in a ReadyToRun copy of this PowerShell (ms wall) | {1} | {2} | — | {3} ms over its bare pwsh ({4} ms); {5} ms over the plain task | ≤ {6} ms over bare pwsh | {7} |' -f
            $TlsServerName, (Format-Value $tls), (Format-Value $o.Values.'mosquitto_pub over TLS' 'N1'), (Format-Signed $tlsOver), (Format-Value $precompiledBare),
            (Format-Signed ($tls - $precompiled)), $Targets.ScheduledTaskMs, (Format-ReadyToRunMet ($tlsOver -le $Targets.ScheduledTaskMs) $o)))
    $toolTls = $o.Values.'SangoPS over TLS'
    $rows.Add(('| … the same TLS task in the IL-only `dotnet tool` PowerShell (ms wall; information) | {0} | — | — | {1} ms over its bare pwsh ({2} ms); {3} ms over the plain task | — | — |' -f
            (Format-Value $toolTls), (Format-Signed ($toolTls - $bare)), (Format-Value $bare), (Format-Signed ($toolTls - $tool))))
    $rows.Add(('| Import-Module SangoPS alone, in the IL-only tool (ms, Measure-Command) | {0} | — | — | {1}% of the IL-only task''s overhead over its bare pwsh | — | — |' -f
            (Format-Value $o.Values.'Import-Module' 'N1'), (Format-Value (100 * (Get-Ratio $o.Values.'Import-Module' $toolOver)))))
    $o = $Outcomes['receive-latency']
    foreach ($p in 'p50', 'p99') {
        $s = $o.Values["SangoPS $p"]
        $target = if ($p -eq 'p99') { "< $($Targets.ReceiveP99Ms) ms" } else { '—' }
        $met = if ($p -eq 'p99') { Format-Met ($s -lt $Targets.ReceiveP99Ms) $o } elseif ($o.Failures.Count) { Format-Met $false $o } else { '—' }
        $rows.Add(('| Receive latency {0} at {1} msg/s (ms) | {2} | {3} (mosquitto_sub) | {4} | +{5} ms over mosquitto_sub | {6} | {7} |' -f $p, (Format-Number $LatencyRate),
                (Format-Value $s 'N3'), (Format-Value $o.Values["mosquitto_sub $p"] 'N3'), (Format-Value $o.Values["raw MQTTnet $p"] 'N3'),
                (Format-Value ($s - $o.Values["mosquitto_sub $p"]) 'N3'), $target, $met))
    }
    $o = $Outcomes['receive-rate']
    $rows.Add(('| Receive rate, pre-published burst of {0} QoS 1 (msg/s into the pipeline) | {1} | — | {2} | {3} raw MQTTnet | — | {4} |' -f (Format-Number $BurstCount),
            (Format-Value $o.Values.SangoPS), (Format-Value $o.Values.'raw MQTTnet'), (Format-Ratio (Get-Ratio $o.Values.SangoPS $o.Values.'raw MQTTnet')),
            $(if ($o.Failures.Count) { Format-Met $false $o } else { '—' })))
    foreach ($direction in 'receive', 'publish') {
        $o = $Outcomes["memory-$direction"]
        $text = if ($o.Failures.Count -eq 0) { '{0} → {1} (+{2})' -f (Format-Value $o.Values.StartMB 'N1'), (Format-Value $o.Values.EndMB 'N1'), (Format-Value $o.Values.GrowthMB 'N1') } else { '?' }
        $grew = if ($o.Failures.Count -eq 0) { $o.Values.GrowthMB } else { [double]::NaN }
        $rows.Add(('| Memory over a {0}-message {1} (working set MB, start → end) | {2} | — | — | — | growth < {3} MB | {4} |' -f (Format-Number $MemoryCount), $direction,
                $text, $Targets.MemoryGrowthMB, (Format-Met ($grew -lt $Targets.MemoryGrowthMB) $o)))
    }
    $o = $Outcomes['batching']
    $economy = if ($o.Failures.Count -eq 0) {
        '{0} samples in {1} messages: {2} samples/message, {3} full' -f (Format-Number $BatchCount), $o.Values.Messages, (Format-Value $o.Values.SamplesPerMessage 'N1'), ((Format-Value (100 * $o.Values.FillRatio) 'N1') + '%')
    } else { '?' }
    $rows.Add(('| Batching economy, {0} telemetry objects with -Batch | {1} | — | — | {2}× fewer messages than one per sample | — | {3} |' -f (Format-Number $BatchCount),
            $economy, (Format-Value $o.Values.SamplesPerMessage 'N0'), $(if ($o.Failures.Count) { Format-Met $false $o } else { '—' })))

    $text = [System.Collections.Generic.List[string]]::new()
    $text.Add('# SangoPS benchmarks')
    $text.Add('')
    $text.Add('Generated by `build/bench.ps1` (`dotnet pwsh ./build.ps1 bench`). One machine, one run; each case timed several times, median reported; every ratio is of medians from the same run.')
    $text.Add('')
    foreach ($line in (Get-MachineHeader)) { $text.Add($line) }
    $text.Add('')
    foreach ($row in $rows) { $text.Add($row) }
    $text.Add('')
    $text.Add('## Per-run values')
    $text.Add('')
    foreach ($key in $Outcomes.Keys) {
        foreach ($d in $Outcomes[$key].Details) { $text.Add("- ${key}: $d") }
    }
    $text.Add('')
    $text.Add('## How each case is measured')
    $text.Add('')
    $text.Add('- Which rows carry the targets: the first publish pipeline and the scheduled tasks are judged in a copy of this PowerShell whose IL assemblies the benchmark compiled ReadyToRun with crossgen2, as PowerShell''s MSI and zip packages ship them (see the header): the PowerShell a scheduled task or a user runs. The same cases in the IL-only `dotnet tool` PowerShell that runs the benchmark (the repository''s pinned tool, whose code .NET compiles as it runs) are the rows marked IL-only, reported as information with no target. When the copy could not be built, the header says why, and the target rows show ''?'' and ''not measured''.')
    $text.Add('- Publish: SangoPS is timed inside a child `pwsh -NoProfile` that has already imported the module and connected (MQTT 5): a Stopwatch around `Get-Content lines.txt | Publish-SangoMessage -Topic t -QoS q`, which returns once every message is acknowledged (QoS 1) or written (QoS 0). The first such pipeline of a fresh ReadyToRun pwsh is the row of the target. The next row is the same first pipeline in the IL-only tool; that child then runs the same pipeline again (each run to its own topic, each checked by its own subscriber), and the median of those later runs is the row below it. The fourth row times `Get-Content lines.txt | Out-Null` as the first pipeline of another fresh IL-only child (imported and connected the same way): the input side alone, which no pipeline fed by `Get-Content` can beat. The fifth row is the IL-only first pipeline again in a child started with `DOTNET_TieredCompilation=0`: .NET then compiles every method optimized the first time, instead of running PowerShell''s code unoptimized and instrumented until it is recompiled; the gap between those two rows is what tiered compilation of PowerShell costs the first pipeline. mosquitto_pub is the wall time of `mosquitto_pub -l -q q -t t < lines.txt` (MQTT 3.1.1, its default; process start and connect included). raw MQTTnet is `bench/RawMqttnetPublisher` (MQTT 5, net10.0): it reads the file, connects, then awaits each `PublishAsync` in turn; only that loop is timed. Each run has a `mosquitto_sub -q 1 -C N` subscribed before it starts (confirmed by the broker''s log) and counts only if it received all N.')
    $text.Add('- Scheduled task: wall time of `pwsh -NoProfile -NonInteractive -Command "Import-Module …; $session = Connect-Sango mqtt://127.0.0.1:P; Publish-SangoMessage -Session $session -Topic t -Payload x; Disconnect-Sango $session"` (the recipe of docs/scheduled-tasks.md: a task has no console, so the session is kept, not printed) vs `pwsh -NoProfile -NonInteractive -Command exit` of the same PowerShell vs one `mosquitto_pub -t t -m x`, each checked by a subscriber. The target row is the task and bare pwsh in the ReadyToRun copy; the next row is both in the IL-only tool. The row after it runs `Connect-Sango` without keeping the session, so PowerShell formats and prints it: the first formatting in a process costs PowerShell some 70 ms whatever the object (a `[pscustomobject]` with two properties costs as much). The scheduled task over TLS is the same command with `Connect-Sango mqtts://127.0.0.1:P -CaFile ca.crt -TlsServerName a.sango.test`, to a second listener of the same mosquitto whose server certificate (ECC P-256, `CN=*.sango.test`, SAN `DNS:*.sango.test, IP:127.0.0.1`, serverAuth) the benchmark makes with openssl, signed by a CA of its own; its subscriber listens on the plain listener. Its mosquitto_pub is `mosquitto_pub --cafile ca.crt -h 127.0.0.1` to the TLS listener. Import-Module alone is `Measure-Command { Import-Module … }` inside a fresh IL-only pwsh.')
    $text.Add("- Receive latency: a pacer (the baseline tool) writes one line every $(1000 / $LatencyRate) ms, on a fixed schedule, into ``mosquitto_pub -l -q 1``; each line is the Unix time in microseconds when written. The receiver subscribes (QoS 1) before the pacer starts and computes now − stamp per message: SangoPS in ``Receive-SangoMessage -Count N | ForEach-Object { … }``, mosquitto_sub from its ``%U`` receive time, raw MQTTnet in its message handler. The sender runs once per receiver, so all three see the same kind of traffic. The details also give SangoPS's p99 without the first 1,000 messages (the first second, when the receive path runs for the first time in the process).")
    $text.Add('- Receive rate: the receiver subscribes, a `mosquitto_sub` checker confirms the whole burst (mosquitto_pub -l, QoS 1) went through the broker, and only then may the receiver''s first message pass (it waits for a go file), so the burst is queued in front of it; the other N−1 messages are timed through `Receive-SangoMessage -Count N | ForEach-Object { if ($n++ -eq 0) { … } }`.')
    $text.Add('- Batching economy: a child pwsh builds the objects (host, sensor, value, unit, time, sequence number), then `$samples | Publish-SangoMessage -QoS 1 -Batch -PassThru` packs them; a `mosquitto_sub` subscribed before checks that the messages carry every sample once, in order. Fill is the average payload over the session''s payload limit (51,200 bytes).')
    $text.Add('- Memory: the child pwsh''s `WorkingSet64` after a full GC, before and after the run (connected and imported before the start); the receive is fed by the raw MQTTnet publisher at QoS 1, the publish is `Get-Content | Publish-SangoMessage -QoS 1` with a checking subscriber.')
    $text.Add('')
    $text.Add($KeepMarker)
    $text
}

#endregion

#region Main

if (-not $ModulePath) { throw 'Usage: build/bench.ps1 -ModulePath <built module folder, e.g. out/SangoPS> [-Quick] [-OutFile <markdown file>]' }
$ModulePath = (Resolve-Path -LiteralPath $ModulePath -ErrorAction Stop).ProviderPath
if (-not (Test-Path -LiteralPath (Join-Path $ModulePath 'SangoPS.psd1'))) { throw "No SangoPS.psd1 in '$ModulePath': build the module first (./build.ps1 build)." }
$script:Module = $ModulePath
if (-not $OutFile -and -not $Quick) { $OutFile = Join-Path $Root 'docs/benchmarks.md' }
if ($IsWindows) { throw 'The benchmark runs on Linux or macOS (it uses /bin/sh, nproc and /proc).' }
foreach ($tool in 'mosquitto', 'mosquitto_pub', 'mosquitto_sub', 'dotnet', 'openssl') { $null = Get-CommandPath $tool }

$script:LoadAtStart = Get-LoadAverage
$script:RepositoryAtStart = Get-RepositoryState
$script:State.Work = Join-Path ([System.IO.Path]::GetTempPath()) ('sango-bench-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
$null = New-Item -ItemType Directory -Path $script:State.Work
$exitCode = 0
$finished = $false   # stays false when Ctrl+C stops the script: the finally block then exits 130
try {
    Start-Watchdog
    Write-Host 'Building bench/RawMqttnetPublisher'
    $rawOut = Join-Path $script:State.Work 'raw'
    $build = Invoke-BenchProcess -FilePath (Get-CommandPath 'dotnet') -Name 'dotnet-build' -TimeoutSeconds 600 -ArgumentList @(
        'build', (Join-Path $Root 'bench/RawMqttnetPublisher/RawMqttnetPublisher.csproj'), '-c', 'Release', '-o', $rawOut, '--nologo', '-v', 'quiet')
    if ($build.ExitCode -ne 0) { throw "Building the baseline tool failed ($(Get-ProblemText $build)):`n$($build.Out)" }
    $apphost = Join-Path $rawOut 'RawMqttnetPublisher'
    $script:Raw = if (Test-Path -LiteralPath $apphost) { @{ FilePath = $apphost; Prefix = @() } }
    else { @{ FilePath = (Get-CommandPath 'dotnet'); Prefix = @((Join-Path $rawOut 'RawMqttnetPublisher.dll')) } }

    if ($NoReadyToRun) { $script:ReadyToRun.Note = 'not measured: -NoReadyToRun was given' }
    else {
        Write-Host 'Compiling a ReadyToRun copy of this PowerShell'
        $script:ReadyToRun.Home = New-ReadyToRunPowerShell
    }
    Write-Host "  ReadyToRun copy: $($script:ReadyToRun.Note)"

    # Inputs: short telemetry-like lines, one message each.
    $script:Files = @{
        PublishLines = New-WorkFile 'publish-lines.txt'
        BurstLines   = New-WorkFile 'burst-lines.txt'
        MemoryLines  = New-WorkFile 'memory-lines.txt'
        PublishChild = New-WorkFile 'publish-child.ps1'
        ReceiveChild = New-WorkFile 'receive-child.ps1'
        BatchChild   = New-WorkFile 'batch-child.ps1'
    }
    $line = { param($i) 'host=web{0} seq={1:D6} cpu=12.5 mem=40.1' -f ($i % 8), $i }
    [System.IO.File]::WriteAllLines($script:Files.PublishLines, [string[]](1..$PublishCount | ForEach-Object { & $line $_ }))
    [System.IO.File]::WriteAllLines($script:Files.BurstLines, [string[]](1..$BurstCount | ForEach-Object { & $line $_ }))
    [System.IO.File]::WriteAllLines($script:Files.MemoryLines, [string[]](1..$MemoryCount | ForEach-Object { & $line $_ }))
    [System.IO.File]::WriteAllText($script:Files.PublishChild, $PublishChild)
    [System.IO.File]::WriteAllText($script:Files.ReceiveChild, $ReceiveChild)
    [System.IO.File]::WriteAllText($script:Files.BatchChild, $BatchChild)

    $script:Pki = New-BenchPki
    Start-BenchBroker
    Write-Host "mosquitto on 127.0.0.1:$($script:State.Port) (TLS: $($script:State.TlsPort)); module $script:Module; $Runs run(s) per case"

    $outcomes = [ordered]@{}
    Write-Host "`n== Publish throughput, $(Format-Number $PublishCount) lines =="
    $outcomes['publish-qos0'] = Measure-Publish -QoS 0
    $outcomes['publish-qos1'] = Measure-Publish -QoS 1
    Write-Host "`n== Scheduled-task cost =="
    $outcomes['scheduled-task'] = Measure-ScheduledTask
    Write-Host "`n== Receive latency, $(Format-Number $LatencyCount) messages at $LatencyRate/s =="
    $outcomes['receive-latency'] = Measure-ReceiveLatency
    Write-Host "`n== Receive rate, burst of $(Format-Number $BurstCount) =="
    $outcomes['receive-rate'] = Measure-ReceiveRate
    Write-Host "`n== Memory, $(Format-Number $MemoryCount) messages =="
    $outcomes['memory-receive'] = Measure-Memory -Direction receive
    $outcomes['memory-publish'] = Measure-Memory -Direction publish
    Write-Host "`n== Batching economy, $(Format-Number $BatchCount) telemetry objects =="
    $outcomes['batching'] = Measure-Batching

    $report = New-Report $outcomes
    Write-Host ''
    foreach ($l in $report) { if ($l -ne $KeepMarker) { Write-Host $l } }
    if ($OutFile) {
        $kept = @()
        if (Test-Path -LiteralPath $OutFile) {
            $old = [System.IO.File]::ReadAllLines($OutFile)
            $at = [array]::IndexOf($old, $KeepMarker)
            if ($at -ge 0 -and $at + 1 -lt $old.Count) { $kept = $old[($at + 1)..($old.Count - 1)] }
        }
        $dir = Split-Path -Parent ([System.IO.Path]::GetFullPath($OutFile))
        if (-not (Test-Path $dir)) { $null = New-Item -ItemType Directory -Path $dir }
        [System.IO.File]::WriteAllLines([System.IO.Path]::GetFullPath($OutFile), [string[]](@($report) + @($kept)), [System.Text.UTF8Encoding]::new($false))
        Write-Host "`nWrote $OutFile"
    }
    if ($script:State.Failures.Count -gt 0) {
        Write-Host "`n$($script:State.Failures.Count) run(s) FAILED their correctness check:"
        foreach ($f in $script:State.Failures) { Write-Host "  $f" }
        $exitCode = 1
    }
    $finished = $true
}
catch {
    Write-Host "ERROR: the benchmark stopped: $($_.Exception.Message)`n$($_.ScriptStackTrace)"
    $exitCode = 1
    $finished = $true
}
finally {
    foreach ($p in @($script:State.Processes)) {
        try { if (-not $p.HasExited) { $p.Kill($true); $null = $p.WaitForExit(5000) } } catch { Write-Verbose "cleanup: $_" }
    }
    $script:State.Processes.Clear()
    if ($script:State.Watchdog -and -not $script:State.Watchdog.HasExited) {
        try { $script:State.Watchdog.Kill(); $null = $script:State.Watchdog.WaitForExit(2000) } catch { Write-Verbose "cleanup: $_" }
    }
    Remove-Item -LiteralPath $script:State.Work -Recurse -Force -ErrorAction SilentlyContinue
    if (-not $finished) {
        [Console]::Out.WriteLine('Interrupted: every process the benchmark started was stopped.')
        exit 130
    }
}
exit $exitCode

#endregion
