<#
.SYNOPSIS
    Builds, tests, demonstrates and packages SangoPS.
.DESCRIPTION
    Tasks (first positional parameter):
      build    Release build into out/SangoPS (manifest, assemblies, format and help files).
      test     build, then the xunit tests and the Pester tests (against real mosquitto brokers); ends with
               the list of failed tests, if any, then one line "N passed, N failed" counting every test, and
               exits non-zero on any failure.
      demo     build, then an in-process broker, a session, real telemetry samples of this machine.
      bench    build, then build/bench.ps1: SangoPS beside mosquitto_pub and raw MQTTnet (-Quick: one short run).
      package  build, then build/package.ps1: out/packages/SangoPS.<version>.nupkg, installable with
               Install-PSResource or Install-Module from a folder repository.
      clean    removes out/ and every bin/ and obj/ folder.
    Run it with the repository's pinned PowerShell: dotnet tool restore; dotnet pwsh ./build.ps1 test
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('build', 'test', 'demo', 'bench', 'package', 'clean')]
    [string] $Task = 'build',

    # Pester tests to run (paths under tests/); all by default.
    [string[]] $TestPath,

    # bench: run every case once on small counts (the smoke mode the test suite uses).
    [switch] $Quick
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Set-Location -LiteralPath $PSScriptRoot

$Root = $PSScriptRoot
$Out = Join-Path $Root 'out'
$ModuleOut = Join-Path $Out 'SangoPS'
$Manifest = Import-PowerShellDataFile (Join-Path $Root 'SangoPS.psd1')
# Platforms that get a ReadyToRun copy of the library for PowerShell 7.6 (.NET 10): Windows, the product's home,
# and Linux x64, where the tests and the benchmark run. Any other platform loads the portable .NET 8 copy.
$PrecompiledRuntimes = @('win-x64', 'linux-x64')

function Invoke-Native {
    # Runs an external command and stops the build when it fails: no exit code is ever ignored.
    param([Parameter(Mandatory)] [string] $FilePath, [string[]] $ArgumentList = @())
    & $FilePath @ArgumentList
    if ($LASTEXITCODE -ne 0) {
        throw "'$FilePath $($ArgumentList -join ' ')' failed with exit code $LASTEXITCODE."
    }
}

# Get-PwshInvocation: the child pwsh is the same PowerShell that runs this script (the repository's pinned tool).
. (Join-Path $PSScriptRoot 'build/PwshInvocation.ps1')

function Invoke-Build {
    $version = $Manifest.ModuleVersion
    Write-Host "Building SangoPS $version into $ModuleOut"
    if (Test-Path $ModuleOut) { Remove-Item $ModuleOut -Recurse -Force }
    # The cmdlets (SangoPS.dll) go to the module folder; the library and MQTTnet to Dependencies/, from where
    # SangoPS loads them into its own AssemblyLoadContext (see src/SangoPS/Hosting/SangoModuleInitializer.cs).
    $staging = Join-Path $Out 'staging'
    if (Test-Path $staging) { Remove-Item $staging -Recurse -Force }
    Invoke-Native dotnet @('publish', (Join-Path $Root 'src/SangoPS/SangoPS.csproj'), '-c', 'Release', '-o', $staging,
        "-p:Version=$version", '--nologo', '-v', 'quiet')
    New-Item -ItemType Directory -Path (Join-Path $ModuleOut 'Dependencies') -Force | Out-Null
    Move-Item (Join-Path $staging 'SangoPS.dll'), (Join-Path $staging 'SangoPS.pdb') -Destination $ModuleOut
    Get-ChildItem $staging -File | Where-Object Extension -in '.dll', '.pdb' | Move-Item -Destination (Join-Path $ModuleOut 'Dependencies')
    Remove-Item $staging -Recurse -Force
    # The same library and MQTTnet built for .NET 10 and precompiled ReadyToRun, one folder per platform; on
    # PowerShell 7.6 the load context prefers them (no JIT at first use; .NET 10 ignores .NET 8 ReadyToRun code).
    foreach ($rid in $PrecompiledRuntimes) {
        Invoke-Native dotnet @('publish', (Join-Path $Root 'src/SangoPS.Engine/SangoPS.Engine.csproj'), '-c', 'Release', '-f', 'net10.0',
            '-r', $rid, '--self-contained', 'false', '-p:PublishReadyToRun=true', '-o', $staging, "-p:Version=$version", '--nologo', '-v', 'quiet')
        $precompiled = New-Item -ItemType Directory -Path (Join-Path $ModuleOut "Dependencies/net10.0/$rid") -Force
        Get-ChildItem $staging -File | Where-Object Extension -in '.dll', '.pdb' | Move-Item -Destination $precompiled
        Remove-Item $staging -Recurse -Force
    }
    Copy-Item (Join-Path $Root 'SangoPS.psd1'), (Join-Path $Root 'SangoPS.Format.ps1xml') -Destination $ModuleOut
    if (Get-ChildItem $ModuleOut -Recurse -Filter 'System.Management.Automation.dll') {
        throw 'System.Management.Automation.dll was copied to the output: PowerShellStandard.Library must stay compile-only.'
    }

    $docs = Join-Path $Root 'docs'
    if (Get-ChildItem -Path $docs -Filter '*.md' -ErrorAction SilentlyContinue) {
        Import-Module (Join-Path $Root 'build/HelpCompiler.psm1') -Force
        Build-SangoHelp -DocsPath $docs -OutputPath (Join-Path $ModuleOut 'en-US') -ModuleName 'SangoPS' | Out-Null
    }
}

function Get-PesterModulePath {
    Invoke-Native dotnet @('restore', (Join-Path $Root 'build/tools/Tools.csproj'), '--nologo', '-v', 'quiet')
    $globalPackages = (& dotnet nuget locals global-packages --list) -replace '^global-packages:\s*', ''
    $path = Join-Path $globalPackages.Trim() 'pester/6.2.0/tools/Pester.psd1'
    if (-not (Test-Path -LiteralPath $path)) { throw "Pester 6.2.0 was restored but $path is missing." }
    return $path
}

function Assert-Mosquitto {
    if (Get-Command mosquitto -ErrorAction SilentlyContinue) { return }
    foreach ($dir in '/usr/sbin', '/usr/local/sbin') {
        if (Test-Path (Join-Path $dir 'mosquitto')) { $env:PATH = "$dir$([IO.Path]::PathSeparator)$env:PATH"; return }
    }
    $isRoot = -not $IsWindows -and ((& id -u) -eq '0')
    if ($isRoot -and (Get-Command apt-get -ErrorAction SilentlyContinue)) {
        Write-Host 'Installing mosquitto and mosquitto-clients with apt-get'
        Invoke-Native apt-get @('update', '-qq')
        Invoke-Native apt-get @('install', '-y', '-qq', 'mosquitto', 'mosquitto-clients', 'openssl')
        $env:PATH = "/usr/sbin$([IO.Path]::PathSeparator)$env:PATH"
        return
    }
    throw 'The tests need Eclipse Mosquitto 2.x (mosquitto, mosquitto_pub, mosquitto_sub) and openssl on the PATH. Install them (Debian/Ubuntu: apt-get install mosquitto mosquitto-clients openssl; Windows: the installer from mosquitto.org) and run the tests again.'
}

function Read-TrxCounts([string] $Path) {
    [xml] $trx = Get-Content -LiteralPath $Path -Raw
    $counters = $trx.TestRun.ResultSummary.Counters
    # Each failed test with the first line of its message, for the failure list printed above the closing line.
    $failures = @($trx.TestRun.Results.UnitTestResult | Where-Object outcome -ne 'Passed' | ForEach-Object {
            $message = $_.SelectSingleNode('*[local-name()="Output"]/*[local-name()="ErrorInfo"]/*[local-name()="Message"]')
            "xunit: $($_.testName): $(if ($message) { ($message.InnerText -split "`n")[0] } else { $_.outcome })"
        })
    return [pscustomobject]@{
        Passed   = [int]$counters.passed
        Failed   = [int]$counters.failed + [int]$counters.error + [int]$counters.timeout + [int]$counters.aborted
        Failures = $failures
    }
}

function Invoke-Test {
    Invoke-Build
    Assert-Mosquitto
    $results = Join-Path $Out 'test-results'
    if (Test-Path $results) { Remove-Item $results -Recurse -Force }
    New-Item -ItemType Directory -Path $results | Out-Null

    $passed = 0; $failed = 0; $problems = @(); $failures = @()

    Write-Host "`n== xunit =="
    & dotnet test (Join-Path $Root 'tests/SangoPS.Engine.Tests/SangoPS.Engine.Tests.csproj') -c Release --nologo `
        --logger 'trx;LogFileName=xunit.trx' --logger 'console;verbosity=minimal' --results-directory $results
    $xunitExit = $LASTEXITCODE
    $trx = Join-Path $results 'xunit.trx'
    if (Test-Path $trx) {
        $counts = Read-TrxCounts $trx
        $passed += $counts.Passed; $failed += $counts.Failed; $failures += $counts.Failures
        Write-Host "xunit: $($counts.Passed) passed, $($counts.Failed) failed"
    }
    if ($xunitExit -ne 0 -or -not (Test-Path $trx)) { $problems += "dotnet test exited with $xunitExit" }

    Write-Host "`n== Pester (child pwsh, module from $ModuleOut) =="
    # The tests start many pwsh processes; none of them should reach for the internet (the test machine may have
    # none), and PowerShell's start-up telemetry is such a reach. Inherited by every child.
    $env:POWERSHELL_TELEMETRY_OPTOUT = '1'
    $pester = Get-PesterModulePath
    $summary = Join-Path $results 'pester.json'
    $paths = if ($TestPath) { $TestPath | ForEach-Object { (Resolve-Path $_).Path } } else { @(Join-Path $Root 'tests') }
    $script = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$pester'
`$env:SANGOPS_MODULE = '$ModuleOut'
`$c = New-PesterConfiguration
`$c.Run.Path = @('$($paths -join "','")')
`$c.Run.PassThru = `$true
`$c.Output.Verbosity = 'Detailed'
`$r = Invoke-Pester -Configuration `$c
# Every failed test, block and file with the first line of its error, so that the end of the log names them.
`$failures = @(`$r.Failed) + @(`$r.FailedBlocks) + @(`$r.FailedContainers) | ForEach-Object {
    `$name = if (`$_.PSObject.Properties['ExpandedPath']) { `$_.ExpandedPath } elseif (`$_.PSObject.Properties['Path']) { `$_.Path -join ' ' } else { [string]`$_.Item }
    `$error1 = @(`$_.ErrorRecord | Select-Object -First 1 | ForEach-Object { (`$_.ToString() -split "``n")[0] })
    "Pester: `${name}: `$(if (`$error1) { `$error1[0] } else { '(no error of its own: its block failed)' })"
}
[pscustomobject]@{ Passed = `$r.PassedCount; Failed = `$r.FailedCount + `$r.FailedBlocksCount + `$r.FailedContainersCount; NotRun = `$r.NotRunCount; Skipped = `$r.SkippedCount; Failures = @(`$failures) } |
    ConvertTo-Json | Set-Content -LiteralPath '$summary'
"@
    $pwsh = Get-PwshInvocation
    & $pwsh.FilePath @($pwsh.Prefix + @('-NoProfile', '-NonInteractive', '-Command', $script))
    $pesterExit = $LASTEXITCODE
    $counts = if (Test-Path $summary) { Get-Content $summary -Raw | ConvertFrom-Json } else { $null }
    if ($null -eq $counts -or $null -eq $counts.Passed -or $null -eq $counts.Failed) {
        # A run that ended without its counts is a failure, never a silent zero.
        $problems += "Pester ended without a complete summary (exit code $pesterExit)"
    }
    else {
        $passed += [int]$counts.Passed; $failed += [int]$counts.Failed; $failures += @($counts.Failures)
        Write-Host "Pester: $($counts.Passed) passed, $($counts.Failed) failed, $($counts.Skipped) skipped"
        if ($pesterExit -ne 0 -and [int]$counts.Failed -eq 0) { $problems += "Pester's pwsh exited with $pesterExit" }
    }

    # The failures again, just above the closing line: a log cut to its tail still names what failed.
    if ($failures) { Write-Host "`n== Failed =="; foreach ($failure in $failures) { Write-Host "FAILED $failure" } }
    foreach ($problem in $problems) { Write-Host "ERROR: $problem" }
    # A step that broke without counting its tests is counted as one failure, so the closing line never hides it.
    $failed += @($problems).Count
    Write-Host "$passed passed, $failed failed"
    if ($failed -gt 0) { exit 1 }
}

function Invoke-Demo {
    Invoke-Build
    $pwsh = Get-PwshInvocation
    & $pwsh.FilePath @($pwsh.Prefix + @('-NoProfile', '-File', (Join-Path $Root 'build/demo.ps1'), '-ModulePath', $ModuleOut))
    if ($LASTEXITCODE -ne 0) { throw "The demo failed (exit code $LASTEXITCODE)." }
}

function Invoke-Bench {
    Invoke-Build
    $pwsh = Get-PwshInvocation
    $arguments = @('-NoProfile', '-NonInteractive', '-File', (Join-Path $Root 'build/bench.ps1'), '-ModulePath', $ModuleOut)
    if ($Quick) { $arguments += '-Quick' } else { $arguments += @('-OutFile', (Join-Path $Root 'docs/benchmarks.md')) }
    & $pwsh.FilePath @($pwsh.Prefix + $arguments)
    if ($LASTEXITCODE -ne 0) { throw "The benchmark failed (exit code $LASTEXITCODE)." }
}

function Invoke-Package {
    Invoke-Build
    $pwsh = Get-PwshInvocation
    & $pwsh.FilePath @($pwsh.Prefix + @('-NoProfile', '-NonInteractive', '-File', (Join-Path $Root 'build/package.ps1'),
        '-ModulePath', $ModuleOut, '-OutputPath', (Join-Path $Out 'packages')))
    if ($LASTEXITCODE -ne 0) { throw "Packaging failed (exit code $LASTEXITCODE)." }
}

function Invoke-Clean {
    if (Test-Path $Out) { Remove-Item $Out -Recurse -Force }
    Get-ChildItem -Path (Join-Path $Root 'src'), (Join-Path $Root 'tests'), (Join-Path $Root 'build') -Directory -Recurse -Include 'bin', 'obj' -ErrorAction SilentlyContinue |
        Remove-Item -Recurse -Force
}

switch ($Task) {
    'build' { Invoke-Build }
    'test' { Invoke-Test }
    'demo' { Invoke-Demo }
    'bench' { Invoke-Bench }
    'package' { Invoke-Package }
    'clean' { Invoke-Clean }
}
