<#
.SYNOPSIS
    The SangoPS demo: an in-process broker, a session, real telemetry samples of this machine published and
    received back; then the same over TLS, with a throwaway CA and an ECC wildcard certificate made in-process,
    trusted through -CaFile, and what a refusal looks like without it. Needs nothing but the .NET SDK.
    Run it with: dotnet pwsh ./build.ps1 demo
#>
param([Parameter(Mandatory)] [string] $ModulePath)

$ErrorActionPreference = 'Stop'
Import-Module $ModulePath -Force

function Get-CpuPercent {
    # Share of non-idle CPU time over half a second.
    if ($IsLinux) {
        $read = { ((Get-Content /proc/stat -TotalCount 1) -split '\s+')[1..8] | ForEach-Object { [double]$_ } }
        $a = & $read; Start-Sleep -Milliseconds 500; $b = & $read
        $total = ($b | Measure-Object -Sum).Sum - ($a | Measure-Object -Sum).Sum
        $idle = ($b[3] + $b[4]) - ($a[3] + $a[4])
        return [math]::Round(100 * ($total - $idle) / [math]::Max($total, 1), 1)
    }
    if ($IsWindows) { return (Get-CimInstance Win32_Processor | Measure-Object -Property LoadPercentage -Average).Average }
    return $null
}

function Get-MemoryUsedPercent {
    if ($IsLinux) {
        $info = @{}
        Get-Content /proc/meminfo | ForEach-Object { $k, $v = $_ -split ':\s+'; $info[$k] = [double]($v -replace '\D', '') }
        return [math]::Round(100 * (1 - $info.MemAvailable / $info.MemTotal), 1)
    }
    if ($IsWindows) {
        $os = Get-CimInstance Win32_OperatingSystem
        return [math]::Round(100 * (1 - $os.FreePhysicalMemory / $os.TotalVisibleMemorySize), 1)
    }
    return $null
}

$hostName = [Environment]::MachineName.ToLowerInvariant()
# -Tls: a second, encrypted endpoint whose CA certificate is in $broker.CaFile (deleted when the broker stops).
$broker = Start-SangoLocalBroker -Tls
Write-Host "Started $broker"
try {
    $session = Connect-Sango -Endpoint $broker.Endpoint -Name 'demo'
    $session | Format-Table

    $samples = [ordered]@{
        cpu       = [pscustomobject]@{ host = $hostName; percent = Get-CpuPercent; at = [DateTime]::UtcNow.ToString('o') }
        memory    = [pscustomobject]@{ host = $hostName; usedPercent = Get-MemoryUsedPercent; at = [DateTime]::UtcNow.ToString('o') }
        processes = [pscustomobject]@{ host = $hostName; count = (Get-Process).Count; at = [DateTime]::UtcNow.ToString('o') }
        uptime    = [pscustomobject]@{ host = $hostName; seconds = [math]::Round([Environment]::TickCount64 / 1000); at = [DateTime]::UtcNow.ToString('o') }
    }

    # Retained, so the receive below gets them back without racing the publish.
    $results = $samples.GetEnumerator() | ForEach-Object {
        $_.Value | Publish-SangoMessage -Topic "demo/$hostName/$($_.Key)" -Retain -PassThru
    }
    Write-Host 'Published:'
    $results | Format-Table

    Write-Host 'Received back:'
    $received = Receive-SangoMessage -Topic "demo/$hostName/#" -Count $samples.Count -TimeoutSeconds 10
    $received | Sort-Object Topic | Format-Table
    if (@($received).Count -ne $samples.Count) { throw "Expected $($samples.Count) messages back, got $(@($received).Count)." }

    Write-Host 'An oversize payload is refused before it is sent, and the session stays connected:'
    'x' * 60000 | Publish-SangoMessage -Topic "demo/$hostName/big" -ErrorAction Continue -ErrorVariable refused 2>$null
    Write-Host ("  {0}: {1}" -f $refused[0].FullyQualifiedErrorId, $refused[0].Exception.Message)
    Get-SangoSession | Format-Table

    Write-Host "`n== TLS =="
    Write-Host "The broker also listens at $($broker.TlsEndpoint) with the certificate $($broker.CertificateSubject)"
    Write-Host "(ECDSA P-256, made in-process), signed by a throwaway CA whose certificate is in $($broker.CaFile)."
    # -TlsServerName: the host dialled is localhost, but the certificate must match demo.sango.test (via *.sango.test).
    $tls = Connect-Sango -Endpoint $broker.TlsEndpoint -CaFile $broker.CaFile -TlsServerName 'demo.sango.test' -Name 'demo-tls'
    $tls | Format-Table

    $tlsSample = [pscustomobject]@{ host = $hostName; percent = Get-CpuPercent; at = [DateTime]::UtcNow.ToString('o'); over = 'TLS' }
    Write-Host 'Published over TLS:'
    $tlsSample | Publish-SangoMessage -Session $tls -Topic "demo/$hostName/tls/cpu" -Retain -PassThru | Format-Table
    Write-Host 'Received back over TLS:'
    $tlsReceived = Receive-SangoMessage -Session $tls -Topic "demo/$hostName/tls/#" -Count 1 -TimeoutSeconds 10
    $tlsReceived | Format-Table
    if (@($tlsReceived).Count -ne 1) { throw "Expected 1 message back over TLS, got $(@($tlsReceived).Count)." }

    Write-Host 'What Test-SangoCertificate says about the TLS endpoint:'
    Test-SangoCertificate -Endpoint $broker.TlsEndpoint -CaFile $broker.CaFile -TlsServerName 'demo.sango.test' | Format-List

    Write-Host 'Without -CaFile the same broker is refused: its CA is in no trust store, and the error says why.'
    $refusal = $null
    try { $null = Connect-Sango -Endpoint $broker.TlsEndpoint -Name 'demo-untrusted' -TimeoutSeconds 5 }
    catch { $refusal = $_ }
    if ($null -eq $refusal) { throw 'The TLS endpoint was accepted without -CaFile; it should have been refused.' }
    Write-Host "  $($refusal.FullyQualifiedErrorId)"
    Write-Host "  $($refusal.Exception.Message)"
    if ($refusal.FullyQualifiedErrorId -notlike 'CertificateValidationFailed,*') { throw "Expected CertificateValidationFailed, got $($refusal.FullyQualifiedErrorId)." }
}
finally {
    Get-SangoSession | Disconnect-Sango
    $broker | Stop-SangoLocalBroker
}
