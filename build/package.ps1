<#
.SYNOPSIS
    Packs the built SangoPS module folder into SangoPS.<version>.nupkg, installable with Install-PSResource or
    Install-Module from a folder repository (or publishable to the PowerShell Gallery as is).
.DESCRIPTION
    Uses Microsoft.PowerShell.PSResourceGet (1.2.0 ships with PowerShell 7.6): the manifest is checked with
    Test-ModuleManifest, a temporary folder repository is registered under a unique name, the module folder is
    published into it with Publish-PSResource (which validates the manifest again and writes the .nuspec from it:
    Author, Description, ProjectUri, LicenseUri, Tags, ReleaseNotes), and the package is moved to -OutputPath.
    The temporary repository is unregistered, and its folder removed, in every case: the other entries of the
    user's repository list (PSResourceRepository.xml) are left as they were.

    Prints the full path of the .nupkg on success (the only output). Exits 1 on any failure, with the reason
    on the error stream.
.PARAMETER ModulePath
    The module folder, as build.ps1 makes it: out/SangoPS (SangoPS.psd1, SangoPS.dll, format and help files).
.PARAMETER OutputPath
    Folder for the package (created if missing); an older package of the same version in it is replaced.
.EXAMPLE
    dotnet pwsh ./build/package.ps1 -ModulePath ./out/SangoPS -OutputPath ./out/packages
.EXAMPLE
    # Install it from that folder, as users will:
    Register-PSResourceRepository -Name SangoLocal -Uri ./out/packages -Trusted
    Install-PSResource -Name SangoPS -Repository SangoLocal -Scope CurrentUser
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $OutputPath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$ProgressPreference = 'SilentlyContinue'

$repositoryName = $null
$repositoryFolder = $null
try {
    Import-Module Microsoft.PowerShell.PSResourceGet -MinimumVersion 1.0.0

    if (-not (Test-Path -LiteralPath $ModulePath -PathType Container)) { throw "The module folder '$ModulePath' does not exist: run ./build.ps1 build first." }
    $ModulePath = (Resolve-Path -LiteralPath $ModulePath).ProviderPath
    $manifestPath = Join-Path $ModulePath 'SangoPS.psd1'
    if (-not (Test-Path -LiteralPath $manifestPath)) { throw "'$ModulePath' holds no SangoPS.psd1: give the built module folder (out/SangoPS)." }

    # Fails with the manifest's own problem (a missing RootModule or format file, a bad version, ...).
    $module = Test-ModuleManifest -Path $manifestPath -ErrorAction Stop
    $version = $module.Version.ToString()
    foreach ($file in @($module.RootModule) + @($module.ExportedFormatFiles | Split-Path -Leaf)) {
        if (-not (Test-Path -LiteralPath (Join-Path $ModulePath $file))) { throw "The module folder lacks '$file', which the manifest names." }
    }
    foreach ($forbidden in 'System.Management.Automation.dll', 'PowerShellStandard.Library.dll') {
        if (Get-ChildItem -LiteralPath $ModulePath -Recurse -Filter $forbidden) { throw "'$forbidden' is in the module folder: PowerShell provides it; the build must not copy it." }
    }

    $OutputPath = [IO.Path]::GetFullPath($OutputPath, (Get-Location).ProviderPath)
    $null = New-Item -ItemType Directory -Path $OutputPath -Force

    # A run that was killed (not stopped: finally runs on Ctrl+C) leaves its entry behind, with its folder gone.
    Get-PSResourceRepository -Name 'SangoPS-package-*' -ErrorAction SilentlyContinue |
        Where-Object { $_.Uri.IsFile -and -not (Test-Path -LiteralPath $_.Uri.LocalPath) } |
        ForEach-Object { Unregister-PSResourceRepository -Name $_.Name }

    # A fresh, empty folder repository under a name nobody else uses.
    $suffix = [guid]::NewGuid().ToString('N').Substring(0, 12)
    $repositoryName = "SangoPS-package-$suffix"
    $repositoryFolder = Join-Path ([IO.Path]::GetTempPath()) "sangops-package-$suffix"
    $null = New-Item -ItemType Directory -Path $repositoryFolder
    Register-PSResourceRepository -Name $repositoryName -Uri $repositoryFolder -Trusted

    # SangoPS has no RequiredModules, so the dependency check has nothing to look up; the manifest is validated.
    Publish-PSResource -Path $ModulePath -Repository $repositoryName

    $built = @(Get-ChildItem -LiteralPath $repositoryFolder -Filter '*.nupkg')
    $expectedName = "SangoPS.$version.nupkg"
    if ($built.Count -ne 1 -or $built[0].Name -ne $expectedName) {
        throw "Publish-PSResource made '$(($built.Name) -join "', '")' instead of '$expectedName'."
    }

    # A package is a zip file: check that it holds the module, with the manifest's version, and nothing foreign.
    Add-Type -AssemblyName System.IO.Compression.FileSystem
    $zip = [IO.Compression.ZipFile]::OpenRead($built[0].FullName)
    try {
        $entries = @($zip.Entries.FullName)
        foreach ($required in 'SangoPS.psd1', 'SangoPS.dll', 'SangoPS.nuspec') {
            if ($entries -notcontains $required) { throw "The package lacks '$required' (entries: $($entries -join ', '))." }
        }
        if ($entries -match '(^|/)System\.Management\.Automation\.dll$') { throw 'The package holds System.Management.Automation.dll.' }
        $reader = [IO.StreamReader]::new($zip.GetEntry('SangoPS.nuspec').Open())
        try { [xml] $nuspec = $reader.ReadToEnd() } finally { $reader.Dispose() }
        $metadata = $nuspec.package.metadata
        if ($metadata.id -ne 'SangoPS' -or $metadata.version -ne $version) {
            throw "The package says $($metadata.id) $($metadata.version), the manifest SangoPS $version."
        }
    }
    finally { $zip.Dispose() }

    $destination = Join-Path $OutputPath $expectedName
    Move-Item -LiteralPath $built[0].FullName -Destination $destination -Force
    $destination
}
catch {
    Write-Error -ErrorRecord $_ -ErrorAction Continue
    exit 1
}
finally {
    if ($repositoryName -and (Get-PSResourceRepository -Name $repositoryName -ErrorAction SilentlyContinue)) {
        Unregister-PSResourceRepository -Name $repositoryName -ErrorAction Continue
    }
    if ($repositoryFolder -and (Test-Path -LiteralPath $repositoryFolder)) {
        Remove-Item -LiteralPath $repositoryFolder -Recurse -Force -ErrorAction Continue
    }
}
exit 0
