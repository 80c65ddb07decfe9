<#
.SYNOPSIS
    Brokers other than mosquitto for the tests that must not be judged by one implementation alone: aedes, an MQTT
    3.1.1-only broker from npm, installed (once per machine) into a folder of its own, like the fixture's mosquitto.
    A function that cannot provide its broker throws with the reason, so a test can skip and say why.
#>

function Install-SangoAedes {
    # The folder whose node_modules holds aedes 1.2.0, installed there on first use.
    $node = Get-Command node -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    $npm = Get-Command npm -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if (-not $node -or -not $npm) { throw 'node and npm are not installed (Debian: apt-get install nodejs npm), so aedes cannot run here.' }
    $folder = Join-Path ([System.IO.Path]::GetTempPath()) 'sangops-test-npm/aedes-1.2.0'
    if (-not (Test-Path -LiteralPath (Join-Path $folder 'node_modules/aedes/package.json'))) {
        $null = New-Item -ItemType Directory -Path $folder -Force
        $r = Invoke-SangoTestProcess -FilePath $npm.Source -ArgumentList @('install', '--prefix', $folder, '--no-audit', '--no-fund', '--loglevel', 'error', 'aedes@1.2.0') -TimeoutSeconds 240
        if ($r.TimedOut -or $r.ExitCode -ne 0) { throw "npm install aedes@1.2.0 failed (exit code $($r.ExitCode), timed out: $($r.TimedOut)), so aedes cannot run here: $($r.Output)" }
    }
    $folder
}

function Start-SangoAedesBroker {
    <#
    .SYNOPSIS
        Starts aedes on a free loopback port; returns Port, PlainUri and Process. Stop it with Stop-SangoAedesBroker.
    #>
    $folder = Install-SangoAedes
    $port = Get-FreeTcpPort
    $log = Join-Path $folder "aedes-$port.log"
    $psi = [System.Diagnostics.ProcessStartInfo]::new('/bin/sh')
    $psi.UseShellExecute = $false
    foreach ($a in @('-c', 'exec node "$0" "$1" >>"$2" 2>&1 </dev/null', (Join-Path $PSScriptRoot 'aedes-broker.js'), [string]$port, $log)) { $psi.ArgumentList.Add($a) }
    $psi.Environment['NODE_PATH'] = Join-Path $folder 'node_modules'
    $process = [System.Diagnostics.Process]::Start($psi)
    try {
        Wait-SangoCondition -TimeoutSeconds 20 -Because "aedes to listen on port $port" -FailWhen {
            if ($process.HasExited) { "aedes exited with code $($process.ExitCode): $(Get-Content -LiteralPath $log -Raw -ErrorAction SilentlyContinue)" }
        } -Condition { Test-SangoTcpPort $port } | Out-Null
    }
    catch { if (-not $process.HasExited) { $process.Kill() }; throw }
    [pscustomobject]@{ Port = $port; PlainUri = "mqtt://127.0.0.1:$port"; Process = $process; Log = $log }
}

function Stop-SangoAedesBroker {
    param([Parameter(Mandatory, Position = 0)] $Broker)
    if ($Broker -and -not $Broker.Process.HasExited) {
        $Broker.Process.Kill()
        $null = $Broker.Process.WaitForExit(5000)
    }
}

Export-ModuleMember -Function Start-SangoAedesBroker, Stop-SangoAedesBroker
