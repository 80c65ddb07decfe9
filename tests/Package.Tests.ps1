# build/package.ps1 and the package it makes: built from the module folder of the build (SANGOPS_MODULE),
# installed from a folder repository with Install-PSResource, Save-PSResource and Install-Module, imported by name
# in a new pwsh, and used there.
#
# Isolation: everything that touches a per-user file runs in a child pwsh whose HOME (and XDG_DATA_HOME,
# XDG_CACHE_HOME, XDG_CONFIG_HOME) point into TestDrive. PSResourceGet keeps its repository list under
# XDG_DATA_HOME (PSResourceGet/PSResourceRepository.xml) and installs -Scope CurrentUser modules under
# $HOME/.local/share/powershell/Modules; PowerShellGet 2 keeps its repositories under XDG_CACHE_HOME. So the real
# user's repositories and modules are never touched (the last test checks it).
# On Windows these variables mean nothing: the CurrentUser installs are real there and are uninstalled in AfterAll.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:moduleFolder = if ($env:SANGOPS_MODULE) { $env:SANGOPS_MODULE } else { Join-Path $PSScriptRoot '../out/SangoPS' }
    $script:moduleFolder = (Resolve-Path -LiteralPath $moduleFolder).ProviderPath
    $script:manifest = Import-PowerShellDataFile -LiteralPath (Join-Path $moduleFolder 'SangoPS.psd1')
    $script:version = $manifest.ModuleVersion
    $script:packageScript = Join-Path $PSScriptRoot '../build/package.ps1'


    function New-IsolatedUser([string] $Name) {
        $root = Join-Path $TestDrive "home-$Name"
        $user = @{
            HOME            = $root
            XDG_DATA_HOME   = Join-Path $root '.local/share'
            XDG_CACHE_HOME  = Join-Path $root '.cache'
            XDG_CONFIG_HOME = Join-Path $root '.config'
        }
        foreach ($dir in $user.Values) { $null = New-Item -ItemType Directory -Path $dir -Force }
        # Only the modules of this (pretend) user and PowerShell's own: a SangoPS elsewhere cannot be imported by mistake.
        $user.PSModulePath = (Join-Path $user.XDG_DATA_HOME 'powershell/Modules') + [IO.Path]::PathSeparator + (Join-Path $PSHOME 'Modules')
        $user.UserModules = Join-Path $user.XDG_DATA_HOME 'powershell/Modules'
        $user
    }

    function Invoke-Pwsh {
        # Runs a new pwsh -NoProfile -NonInteractive with the environment of $User; bounded by $TimeoutSeconds.
        param([hashtable] $User, [string] $Command, [string] $File, [string[]] $Arguments = @(), [string] $ModulePath, [double] $TimeoutSeconds = 60)
        $pwsh = Get-SangoPwsh
        $psi = [Diagnostics.ProcessStartInfo]::new($pwsh.FilePath)
        $psi.UseShellExecute = $false
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        foreach ($a in $pwsh.Prefix + @('-NoProfile', '-NonInteractive')) { $psi.ArgumentList.Add($a) }
        if ($File) {
            $psi.ArgumentList.Add('-File'); $psi.ArgumentList.Add($File)
            foreach ($a in $Arguments) { $psi.ArgumentList.Add($a) }
        }
        else {
            $psi.ArgumentList.Add('-Command')
            $psi.ArgumentList.Add("`$ErrorActionPreference = 'Stop'; `$ProgressPreference = 'SilentlyContinue'; $Command")
        }
        foreach ($key in 'HOME', 'XDG_DATA_HOME', 'XDG_CACHE_HOME', 'XDG_CONFIG_HOME', 'PSModulePath') { if ($User.ContainsKey($key)) { $psi.Environment[$key] = $User[$key] } }
        if ($ModulePath) { $psi.Environment['PSModulePath'] = $ModulePath }
        $psi.Environment['NO_COLOR'] = '1'
        # The children never reach for the internet. PowerShellGet 2 pings the PowerShell Gallery when it first sets
        # up a user's repositories; on a machine without internet that ping can outlast the bound (a DNS server slow
        # to answer, or a connection nobody refuses). A proxy that refuses at once (nothing listens on the discard
        # port) makes it fail immediately, as it would on an offline machine, without a DNS lookup.
        foreach ($key in 'HTTPS_PROXY', 'HTTP_PROXY', 'https_proxy', 'http_proxy') { $psi.Environment[$key] = 'http://127.0.0.1:9' }
        foreach ($key in 'NO_PROXY', 'no_proxy') { $null = $psi.Environment.Remove($key) }
        $p = [Diagnostics.Process]::Start($psi)
        try {
            $out = $p.StandardOutput.ReadToEndAsync(); $err = $p.StandardError.ReadToEndAsync()
            if (-not $p.WaitForExit([int]($TimeoutSeconds * 1000))) { $p.Kill($true); throw "pwsh did not end within $TimeoutSeconds s: $Command$File" }
            $p.WaitForExit()
            [pscustomobject]@{ ExitCode = $p.ExitCode; StdOut = $out.Result; StdErr = $err.Result }
        }
        finally { $p.Dispose() }
    }

    function Get-Result($Run) {
        # The child writes one line "RESULT:<json>"; anything else it printed is for the failure message.
        if ($Run.ExitCode -ne 0) { throw "The child pwsh failed (exit code $($Run.ExitCode)):`n$($Run.StdOut)`n$($Run.StdErr)" }
        $line = ($Run.StdOut -split '\r?\n') | Where-Object { $_.StartsWith('RESULT:') } | Select-Object -Last 1
        if (-not $line) { throw "The child pwsh printed no result:`n$($Run.StdOut)`n$($Run.StdErr)" }
        $line.Substring(7) | ConvertFrom-Json
    }

    function Get-RepositoryNames([hashtable] $User) {
        @((Get-Result (Invoke-Pwsh -User $User -Command "'RESULT:' + (ConvertTo-Json -Compress @(Get-PSResourceRepository | ForEach-Object Name))")) | Sort-Object)
    }

    # What the real user has, to prove at the end that nothing changed.
    function Get-RealProfileState {
        if ($IsWindows) { return '' }
        $localShare = Join-Path $HOME '.local/share'
        $files = @(
            Join-Path $localShare 'PSResourceGet/PSResourceRepository.xml'
            Join-Path $HOME '.cache/powershell/PowerShellGet/PSRepositories.xml'
        ) | ForEach-Object { if (Test-Path -LiteralPath $_) { "$_=$((Get-FileHash -LiteralPath $_).Hash)" } else { "$_=absent" } }
        $modules = Join-Path $localShare 'powershell/Modules/SangoPS'
        $installed = if (Test-Path -LiteralPath $modules) { @(Get-ChildItem -LiteralPath $modules -Recurse | ForEach-Object FullName) -join ';' } else { 'absent' }
        ($files + "SangoPS=$installed") -join "`n"
    }
    $script:realProfileBefore = Get-RealProfileState

    $script:packages = Join-Path $TestDrive 'packages'
    $script:user = New-IsolatedUser 'resourceget'
    # A repository of the user's own, which packaging must leave alone.
    $script:keepFolder = Join-Path $TestDrive 'keep-repository'
    $null = New-Item -ItemType Directory -Path $keepFolder
    $null = Get-Result (Invoke-Pwsh -User $user -Command "Register-PSResourceRepository -Name SangoPSTestKeep -Uri '$keepFolder'; 'RESULT:true'")
    $script:repositoriesBefore = Get-RepositoryNames $user

    # On Windows a CurrentUser install is real: do not replace (and then uninstall) a SangoPS the user already has.
    $script:skipCurrentUser = $IsWindows -and [bool](Get-Module -ListAvailable -Name SangoPS | Where-Object { $_.ModuleBase -like "$HOME*" })
    $script:installedCurrentUser = $false
    $script:installedWithPowerShellGet = $false
}

AfterAll {
    if ($IsWindows) {
        if ($installedCurrentUser) { Invoke-Pwsh -User @{} -Command "Uninstall-PSResource -Name SangoPS -Version '$version' -Scope CurrentUser -SkipDependencyCheck" | Out-Null }
        if ($installedWithPowerShellGet) { Invoke-Pwsh -User @{} -Command "Uninstall-Module -Name SangoPS -RequiredVersion '$version' -Force" | Out-Null }
        Invoke-Pwsh -User @{} -Command "Get-PSResourceRepository -Name 'SangoPSTest*' -ErrorAction SilentlyContinue | Unregister-PSResourceRepository; Get-PSRepository -Name 'SangoPSTest*' -ErrorAction SilentlyContinue | Unregister-PSRepository" | Out-Null
    }
    # Elsewhere everything lives in TestDrive, which Pester removes.
}

Describe 'build/package.ps1' {
    It 'makes SangoPS.<version>.nupkg, prints its path, and leaves the repository list as it was' {
        $run = Invoke-Pwsh -User $user -File $packageScript -Arguments @('-ModulePath', $moduleFolder, '-OutputPath', $packages)
        $run.ExitCode | Should -Be 0 -Because "$($run.StdOut)`n$($run.StdErr)"
        $run.StdErr | Should -BeNullOrEmpty
        $expected = Join-Path $packages "SangoPS.$version.nupkg"
        $run.StdOut.Trim() | Should -Be $expected
        $expected | Should -Exist
        @(Get-ChildItem -LiteralPath $packages).Name | Should -Be @("SangoPS.$version.nupkg")
        Get-RepositoryNames $user | Should -Be $repositoriesBefore
        $repositoriesBefore | Should -Contain 'SangoPSTestKeep'
        @(Get-ChildItem -LiteralPath $keepFolder) | Should -BeNullOrEmpty
    }

    It 'puts every file of the module and the manifest''s metadata in the package, and nothing PowerShell provides' {
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [IO.Compression.ZipFile]::OpenRead((Join-Path $packages "SangoPS.$version.nupkg"))
        try {
            $entries = @($zip.Entries.FullName)
            $reader = [IO.StreamReader]::new($zip.GetEntry('SangoPS.nuspec').Open())
            try { [xml] $nuspec = $reader.ReadToEnd() } finally { $reader.Dispose() }
        }
        finally { $zip.Dispose() }
        $moduleFiles = @(Get-ChildItem -LiteralPath $moduleFolder -Recurse -File | ForEach-Object { [IO.Path]::GetRelativePath($moduleFolder, $_.FullName) -replace '\\', '/' })
        foreach ($file in $moduleFiles) { $entries | Should -Contain $file }
        $entries | Where-Object { $_ -match 'System\.Management\.Automation\.dll$|PowerShellStandard' } | Should -BeNullOrEmpty

        $metadata = $nuspec.package.metadata
        $metadata.id | Should -Be 'SangoPS'
        $metadata.version | Should -Be $version
        $metadata.authors | Should -Be $manifest.Author
        $metadata.description | Should -Be $manifest.Description
        $metadata.projectUrl | Should -Be $manifest.PrivateData.PSData.ProjectUri
        $metadata.licenseUrl | Should -Be $manifest.PrivateData.PSData.LicenseUri
        $metadata.releaseNotes | Should -Be $manifest.PrivateData.PSData.ReleaseNotes
        $tags = $metadata.tags -split ' '
        foreach ($tag in $manifest.PrivateData.PSData.Tags) { $tags | Should -Contain $tag }
    }

    It 'exits 1 with the reason, makes no package and unregisters its repository when the manifest is not publishable' {
        $broken = Join-Path $TestDrive 'broken/SangoPS'
        $null = New-Item -ItemType Directory -Path (Split-Path $broken)
        Copy-Item -LiteralPath $moduleFolder -Destination $broken -Recurse
        $psd1 = Join-Path $broken 'SangoPS.psd1'
        (Get-Content -LiteralPath $psd1 -Raw) -replace "(?m)^(\s*Description\s*=\s*)'[^']*'", "`$1''" | Set-Content -LiteralPath $psd1
        $out = Join-Path $TestDrive 'broken-packages'
        $run = Invoke-Pwsh -User $user -File $packageScript -Arguments @('-ModulePath', $broken, '-OutputPath', $out)
        $run.ExitCode | Should -Be 1
        $run.StdErr | Should -Match 'description'
        @(Get-ChildItem -LiteralPath $out -Filter *.nupkg -ErrorAction SilentlyContinue) | Should -BeNullOrEmpty
        Get-RepositoryNames $user | Should -Be $repositoriesBefore
    }

    It 'exits 1 when the module folder does not exist' {
        $run = Invoke-Pwsh -User $user -File $packageScript -Arguments @('-ModulePath', (Join-Path $TestDrive 'nothing'), '-OutputPath', (Join-Path $TestDrive 'none'))
        $run.ExitCode | Should -Be 1
        $run.StdErr | Should -Match 'build first'
    }
}

Describe 'Installing the package from a folder repository' {
    BeforeAll {
        $script:saved = Join-Path $TestDrive 'saved-modules'
        $null = New-Item -ItemType Directory -Path $saved
        if (-not (Test-Path (Join-Path $packages "SangoPS.$version.nupkg"))) {
            $null = Invoke-Pwsh -User $user -File $packageScript -Arguments @('-ModulePath', $moduleFolder, '-OutputPath', $packages)
        }
        $install = if ($skipCurrentUser) { '' } else {
            "Install-PSResource -Name SangoPS -Version '$version' -Repository SangoPSTest -Scope CurrentUser -TrustRepository -Quiet"
        }
        $script:installed = Get-Result (Invoke-Pwsh -User $user -Command @"
Register-PSResourceRepository -Name SangoPSTest -Uri '$packages' -Trusted
$install
Save-PSResource -Name SangoPS -Version '$version' -Repository SangoPSTest -Path '$saved' -TrustRepository -Quiet
'RESULT:' + (ConvertTo-Json -Compress @(Get-InstalledPSResource -Name SangoPS -Scope CurrentUser -ErrorAction SilentlyContinue | Select-Object Name, @{ n = 'Version'; e = { "`$(`$_.Version)" } }, InstalledLocation, Repository))
"@)
        $script:installedCurrentUser = -not $skipCurrentUser

        # What the installed module does in a new pwsh that knows only the given module folder.
        $script:useModule = @'
Import-Module SangoPS
$module = Get-Module SangoPS
$broker = Start-SangoLocalBroker
try {
    $null = Connect-Sango -Endpoint $broker.Endpoint -Name package-check
    'hello from the package' | Publish-SangoMessage -Topic 'package/check' -QoS 1 -Retain
    $got = Receive-SangoMessage -Topic 'package/check' -Count 1 -TimeoutSeconds 10
    Disconnect-Sango
}
finally { Stop-SangoLocalBroker -Broker $broker }
'RESULT:' + (ConvertTo-Json -Compress ([pscustomobject]@{
    ModuleBase = $module.ModuleBase
    Version    = "$($module.Version)"
    Cmdlets    = @(Get-Command -Module SangoPS -CommandType Cmdlet | ForEach-Object Name | Sort-Object)
    Others     = @(Get-Command -Module SangoPS -CommandType Function, Alias).Count
    Payload    = $got.PayloadText
    Synopsis   = (Get-Help Connect-Sango).Synopsis
}))
'@
        $script:expectedCmdlets = @($manifest.CmdletsToExport | Sort-Object)
    }

    It 'Install-PSResource -Scope CurrentUser installs it into the user''s module folder' -Skip:$skipCurrentUser {
        @($installed).Count | Should -Be 1
        $installed[0].Name | Should -Be 'SangoPS'
        $installed[0].Version | Should -Be $version
        $installed[0].Repository | Should -Be 'SangoPSTest'
        if (-not $IsWindows) { $installed[0].InstalledLocation | Should -BeLike "$($user.UserModules)*" }
        Join-Path $user.UserModules "SangoPS/$version/SangoPS.psd1" | Should -Exist
    }

    It 'imports by name in a new pwsh, exports every cmdlet of the manifest, and publishes and receives' -Skip:$skipCurrentUser {
        $result = Get-Result (Invoke-Pwsh -User $user -Command $useModule)
        if (-not $IsWindows) { $result.ModuleBase | Should -Be (Join-Path $user.UserModules "SangoPS/$version") }
        $result.Version | Should -Be $version
        @($result.Cmdlets) | Should -Be $expectedCmdlets
        $result.Others | Should -Be 0
        $result.Payload | Should -Be 'hello from the package'
        $result.Synopsis | Should -Match 'Connects to an MQTT broker'
    }

    It 'Save-PSResource saves the same module, which imports by name from that folder' {
        Join-Path $saved "SangoPS/$version/SangoPS.psd1" | Should -Exist
        # A user with nothing installed: pwsh adds the user's own module folder to any PSModulePath.
        $result = Get-Result (Invoke-Pwsh -User (New-IsolatedUser 'saved') -ModulePath ($saved + [IO.Path]::PathSeparator + (Join-Path $PSHOME 'Modules')) -Command $useModule)
        $result.ModuleBase | Should -Be (Join-Path $saved "SangoPS/$version")
        @($result.Cmdlets) | Should -Be $expectedCmdlets
        $result.Payload | Should -Be 'hello from the package'
    }

    It 'Install-Module (PowerShellGet 2) installs it from the same folder too' -Skip:($skipCurrentUser -or -not (Get-Module -ListAvailable PowerShellGet | Where-Object { $_.Version.Major -eq 2 })) {
        $v2User = New-IsolatedUser 'powershellget'
        $script:installedWithPowerShellGet = $true
        $result = Get-Result (Invoke-Pwsh -User $v2User -Command @"
Import-Module PowerShellGet -MaximumVersion 2.99
Register-PSRepository -Name SangoPSTestV2 -SourceLocation '$packages' -InstallationPolicy Trusted
Install-Module -Name SangoPS -RequiredVersion '$version' -Repository SangoPSTestV2 -Scope CurrentUser
Import-Module SangoPS
'RESULT:' + (ConvertTo-Json -Compress ([pscustomobject]@{ ModuleBase = (Get-Module SangoPS).ModuleBase; Cmdlets = @(Get-Command -Module SangoPS | ForEach-Object Name | Sort-Object) }))
"@)
        if (-not $IsWindows) { $result.ModuleBase | Should -Be (Join-Path $v2User.UserModules "SangoPS/$version") }
        @($result.Cmdlets) | Should -Be $expectedCmdlets
    }

    It 'Uninstall-PSResource removes it again' -Skip:$skipCurrentUser {
        $result = Get-Result (Invoke-Pwsh -User $user -Command @"
Uninstall-PSResource -Name SangoPS -Version '$version' -Scope CurrentUser -SkipDependencyCheck
Unregister-PSResourceRepository -Name SangoPSTest
'RESULT:' + (ConvertTo-Json -Compress @(Get-Module -ListAvailable SangoPS | ForEach-Object ModuleBase))
"@)
        @($result) | Should -BeNullOrEmpty
        $script:installedCurrentUser = $false
        Get-RepositoryNames $user | Should -Be $repositoriesBefore
    }

    It 'left the real user''s repositories and modules as they were' -Skip:$IsWindows {
        Get-RealProfileState | Should -Be $realProfileBefore
    }
}
