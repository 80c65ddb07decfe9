# Dot-sourced by build.ps1, build/bench.ps1 and tests/TestHelpers.psm1: how to start a PowerShell in a new process.

function Get-PwshInvocation {
    <#
    .SYNOPSIS
        FilePath and Prefix (the arguments that come first) to start the PowerShell in -PowerShellHome, by default
        the one running now: its pwsh apphost, or `dotnet pwsh.dll` where there is none (the `dotnet tool`
        PowerShell this repository pins).
    #>
    param([string] $PowerShellHome = $PSHOME)
    $exe = Join-Path $PowerShellHome ($IsWindows ? 'pwsh.exe' : 'pwsh')
    if (Test-Path -LiteralPath $exe) { return [pscustomobject]@{ FilePath = $exe; Prefix = [string[]]@() } }
    $dotnet = Get-Command -Name dotnet -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    [pscustomobject]@{ FilePath = $(if ($dotnet) { $dotnet.Source } else { 'dotnet' }); Prefix = [string[]]@((Join-Path $PowerShellHome 'pwsh.dll')) }
}
