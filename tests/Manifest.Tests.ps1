# The built module's manifest: valid, explicit about what it exports, honest about where it runs, and in step
# with the assembly it loads. Runs against the module folder build.ps1 made (SANGOPS_MODULE).
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-SangoModuleUnderTest
    $script:module = Get-Module SangoPS
    $script:moduleFolder = $module.ModuleBase
    $script:manifestPath = Join-Path $moduleFolder 'SangoPS.psd1'
    # The data as written (Test-ModuleManifest and Get-Module normalise it; '*' must be seen as written).
    $script:data = Import-PowerShellDataFile -LiteralPath $manifestPath
    $script:assembly = $module.ImplementingAssembly

    # Every cmdlet class the assembly defines, as Verb-Noun.
    $script:cmdletClasses = @($assembly.GetTypes() | ForEach-Object {
            $attribute = $_.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false) | Select-Object -First 1
            if ($attribute -and -not $_.IsAbstract) { "$($attribute.VerbName)-$($attribute.NounName)" }
        } | Sort-Object)
}

Describe 'The SangoPS manifest' {
    It 'passes Test-ModuleManifest' {
        $result = Test-ModuleManifest -Path $manifestPath -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems | Should -BeNullOrEmpty
        $result.Name | Should -Be 'SangoPS'
        $result.RootModule | Should -Be 'SangoPS.dll'
    }

    It 'lists every cmdlet explicitly, without wildcards, and exactly the cmdlet classes of the assembly' {
        $listed = @($data.CmdletsToExport)
        $listed | Should -Not -BeNullOrEmpty
        $listed | Where-Object { [WildcardPattern]::ContainsWildcardCharacters($_) } | Should -BeNullOrEmpty
        ($listed | Sort-Object) | Should -Be $cmdletClasses
        $cmdletClasses.Count | Should -BeGreaterOrEqual 9
    }

    It 'exports exactly those cmdlets when imported' {
        $exported = @(Get-Command -Module SangoPS -CommandType Cmdlet | ForEach-Object Name | Sort-Object)
        $exported | Should -Be (@($data.CmdletsToExport) | Sort-Object)
        @(Get-Command -Module SangoPS -CommandType Function, Alias, Filter) | Should -BeNullOrEmpty
    }

    It 'exports no functions, aliases or variables: empty arrays, not ''*'' and not left out' {
        foreach ($key in 'FunctionsToExport', 'AliasesToExport', 'VariablesToExport') {
            $data.ContainsKey($key) | Should -BeTrue -Because "$key left out means '*' to PowerShell"
            , $data[$key] | Should -BeOfType [array] -Because "$key should be @()"
            $data[$key].Count | Should -Be 0 -Because "$key should be @()"
        }
        $module.ExportedFunctions.Count | Should -Be 0
        $module.ExportedAliases.Count | Should -Be 0
        $module.ExportedVariables.Count | Should -Be 0
    }

    It 'requires PowerShell 7.4 on the Core edition (Windows PowerShell 5.1 cannot load MQTTnet 5)' {
        $data.PowerShellVersion | Should -Be '7.4'
        @($data.CompatiblePSEditions) | Should -Be @('Core')
        $module.PowerShellVersion | Should -Be ([version] '7.4')
    }

    It 'has the metadata a gallery package needs: Author, Description, ProjectUri, LicenseUri, ReleaseNotes, Tags' {
        $data.Author | Should -Not -BeNullOrEmpty
        $data.Description | Should -Not -BeNullOrEmpty
        $data.GUID | Should -Not -BeNullOrEmpty
        $psData = $data.PrivateData.PSData
        foreach ($key in 'ProjectUri', 'LicenseUri') {
            $uri = $null
            [uri]::TryCreate($psData[$key], [UriKind]::Absolute, [ref] $uri) | Should -BeTrue -Because "$key must be an absolute URI"
            $uri.Scheme | Should -Be 'https'
        }
        $psData.ReleaseNotes | Should -Not -BeNullOrEmpty
        @($psData.Tags) | Should -Contain 'PSEdition_Core'
        @($psData.Tags) | Should -Contain 'MQTT'
        # The gallery refuses tags with spaces.
        @($psData.Tags) | Where-Object { $_ -match '\s' } | Should -BeNullOrEmpty
    }

    It 'carries the same version as the assembly it loads (build.ps1 passes the manifest version to dotnet)' {
        $version = [version] $data.ModuleVersion
        $assemblyVersion = $assembly.GetName().Version
        "$assemblyVersion" | Should -BeLike "$version*"
        $assemblyVersion.Major, $assemblyVersion.Minor, $assemblyVersion.Build | Should -Be $version.Major, $version.Minor, $version.Build
        $info = [System.Diagnostics.FileVersionInfo]::GetVersionInfo($assembly.Location)
        $info.FileVersion | Should -BeLike "$version*"
        # The informational version may end with the commit (0.1.0+956ed22...).
        $info.ProductVersion | Should -Match ('^' + [regex]::Escape("$version") + '([+.-]|$)')
    }

    It 'ships its own dependencies and nothing PowerShell itself provides' {
        $files = @(Get-ChildItem -LiteralPath $moduleFolder -Recurse -File)
        $files.Name | Should -Not -Contain 'System.Management.Automation.dll'
        $files.Name | Where-Object { $_ -like 'PowerShellStandard*' } | Should -BeNullOrEmpty
        $files.Name | Where-Object { $_ -like '*.deps.json' } | Should -BeNullOrEmpty
        foreach ($file in @($data.RootModule) + @($data.FormatsToProcess)) {
            Join-Path $moduleFolder $file | Should -Exist
        }

        # Each assembly SangoPS.dll references ships in the module (the library and MQTTnet in Dependencies/,
        # loaded into SangoPS's own load context) or comes with PowerShell / .NET.
        $platform = @(([AppContext]::GetData('TRUSTED_PLATFORM_ASSEMBLIES') -split [IO.Path]::PathSeparator) |
                ForEach-Object { [IO.Path]::GetFileNameWithoutExtension($_) })
        $dependencies = Join-Path $moduleFolder 'Dependencies'
        $missing = foreach ($reference in $assembly.GetReferencedAssemblies()) {
            $shipped = (Test-Path -LiteralPath (Join-Path $moduleFolder "$($reference.Name).dll")) -or
                (Test-Path -LiteralPath (Join-Path $dependencies "$($reference.Name).dll"))
            if (-not $shipped -and $platform -notcontains $reference.Name) { $reference.FullName }
        }
        $missing | Should -BeNullOrEmpty
        Join-Path $dependencies 'SangoPS.Engine.dll' | Should -Exist
        Join-Path $dependencies 'MQTTnet.dll' | Should -Exist
        $assembly.GetReferencedAssemblies().Name | Should -Not -Contain 'MQTTnet' -Because 'the cmdlets must not bind to MQTTnet in the default load context'
    }
}
