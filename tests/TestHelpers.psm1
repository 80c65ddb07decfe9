<#
.SYNOPSIS
    Shared helpers for the SangoPS Pester tests: import the built module, make credentials, run a cmdlet in
    another runspace or a script in another pwsh process.
#>

# One instance of the broker fixture for the whole run, visible to the test files and to these helpers.
Import-Module (Join-Path $PSScriptRoot 'Fixtures/SangoTestBroker.psm1') -Global

function Import-SangoModuleUnderTest {
    # The build puts the module in out/SangoPS; build.ps1 passes its path in SANGOPS_MODULE.
    $path = if ($env:SANGOPS_MODULE) { $env:SANGOPS_MODULE } else { Join-Path $PSScriptRoot '../out/SangoPS' }
    if (-not (Test-Path (Join-Path $path 'SangoPS.psd1'))) { throw "The module is not built at ${path}: run ./build.ps1 build first." }
    Import-Module (Join-Path $path 'SangoPS.psd1') -Force -Global
}

function New-TestCredential {
    param([string] $UserName = 'sango', [string] $Password = 'sango-pass')
    [pscredential]::new($UserName, (ConvertTo-SecureString $Password -AsPlainText -Force))
}

function New-UniqueTopic {
    param([string] $Prefix = 'sango/test')
    "$Prefix/$([guid]::NewGuid().ToString('N').Substring(0, 10))"
}

function Invoke-SangoRunspace {
    <#
    .SYNOPSIS
        Runs a script in a new runspace with the module imported and returns its output, within a bound: a command
        that hangs fails the test instead of hanging the run. The [powershell] is passed back through -Streams so
        that the caller can read its progress, error and other streams.
    #>
    param([Parameter(Mandatory)] [string] $Script, [object[]] $ArgumentList = @(), [int] $TimeoutSeconds = 60, [ref] $Streams)
    $ps = [powershell]::Create()
    try {
        $module = Join-Path (Get-Module SangoPS).ModuleBase 'SangoPS.psd1'
        $null = $ps.AddScript("Import-Module '$module'; $Script")
        foreach ($argument in $ArgumentList) { $null = $ps.AddArgument($argument) }
        $handle = $ps.BeginInvoke()
        if (-not $handle.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds($TimeoutSeconds))) {
            $null = $ps.BeginStop($null, $null)
            throw "The command did not finish within $TimeoutSeconds s: $Script"
        }
        $ps.EndInvoke($handle)
        if ($Streams) { $Streams.Value = $ps.Streams }
    }
    finally { $ps.Dispose() }
}

. (Join-Path $PSScriptRoot '../build/PwshInvocation.ps1')

function Get-SangoPwsh {
    <#
    .SYNOPSIS
        How to start the PowerShell that runs the tests in a new process: FilePath, and Prefix, the arguments that
        come first (pwsh.dll when the tests run under `dotnet pwsh`).
    #>
    Get-PwshInvocation
}

function Invoke-SangoPwsh {
    <#
    .SYNOPSIS
        Runs a new pwsh -NoProfile -NonInteractive with the given arguments (-Command <script>, or -File <path> and
        its parameters), within a bound, and returns Invoke-SangoTestProcess's result (ExitCode, StdOut, StdErr, Output).
    #>
    param([Parameter(Mandatory)] [string[]] $ArgumentList, [double] $TimeoutSeconds = 60)
    $pwsh = Get-SangoPwsh
    Invoke-SangoTestProcess -FilePath $pwsh.FilePath -ArgumentList ($pwsh.Prefix + @('-NoProfile', '-NonInteractive') + $ArgumentList) -TimeoutSeconds $TimeoutSeconds
}

Export-ModuleMember -Function Import-SangoModuleUnderTest, New-TestCredential, New-UniqueTopic, Invoke-SangoRunspace, Get-SangoPwsh, Invoke-SangoPwsh

function Wait-BrokerLog {
    # The broker writes its log asynchronously: wait (bounded) for a line rather than reading once.
    param([Parameter(Mandatory, Position = 0)] $Broker, [Parameter(Mandatory, Position = 1)] [string] $Pattern, [double] $TimeoutSeconds = 5)
    Wait-SangoCondition -TimeoutSeconds $TimeoutSeconds -Because "the broker log to match '$Pattern'" -Condition {
        @(Get-SangoTestBrokerLog -Broker $Broker) -match $Pattern
    } | Out-Null
}
Export-ModuleMember -Function Wait-BrokerLog
