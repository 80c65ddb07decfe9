#Requires -Version 7.4
# Pester 6 tests of the built module's help: every exported cmdlet has a complete page in docs/, and the
# compiled help (MAML and about_SangoPS.help.txt in <module>/en-US) is what Get-Help shows.
# The module under test comes from $env:SANGOPS_MODULE (see TestHelpers.psm1).

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-SangoModuleUnderTest
    $cmdletCases = @((Get-Module SangoPS).ExportedCmdlets.Values | Sort-Object Name | ForEach-Object { @{ Name = $_.Name } })
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-SangoModuleUnderTest
    Import-Module (Join-Path $PSScriptRoot '../build/HelpCompiler.psm1') -Force
    $script:Module = Get-Module SangoPS
    $script:DocsPath = Join-Path $PSScriptRoot '../docs'
    $script:Common = [System.Collections.Generic.HashSet[string]]::new(
        [string[]]([System.Management.Automation.PSCmdlet]::CommonParameters), [StringComparer]::OrdinalIgnoreCase)
    $script:OptionalCommon = [System.Collections.Generic.HashSet[string]]::new(
        [string[]]([System.Management.Automation.PSCmdlet]::OptionalCommonParameters), [StringComparer]::OrdinalIgnoreCase)
}

Describe 'Help pages in docs/' {
    It 'the module exports cmdlets' {
        @($Module.ExportedCmdlets.Keys).Count | Should -BeGreaterThan 0
    }

    It 'cover every exported cmdlet and parameter, with at least two examples each (Test-SangoHelpCoverage)' {
        $problems = @(Test-SangoHelpCoverage -Module $Module -DocsPath $DocsPath)
        ($problems | ForEach-Object { '{0}: {1}' -f $_.Kind, $_.Message }) -join [Environment]::NewLine | Should -BeNullOrEmpty
    }
}

Describe 'Get-Help <Name>' -ForEach $cmdletCases {
    BeforeAll {
        $help = Get-Help -Name $Name -Full
        $command = Get-Command -Name $Name -Module SangoPS
    }

    It 'comes from the compiled help file' {
        $help.ModuleName | Should -Be 'SangoPS'
        # Without a MAML file PowerShell makes up a help object whose synopsis is the syntax.
        $help.PSObject.TypeNames | Should -Contain 'MamlCommandHelpInfo'
    }

    It 'has a synopsis that is not the generated syntax' {
        $synopsis = "$($help.Synopsis)".Trim()
        $synopsis | Should -Not -BeNullOrEmpty
        $synopsis | Should -Not -Match ('^' + [regex]::Escape($Name) + '(\s|$)')
        $synopsis | Should -Not -Match '\[<CommonParameters>\]'
    }

    It 'has a description' {
        ($help.description | Out-String).Trim() | Should -Not -BeNullOrEmpty
    }

    It 'has at least two examples, each with code and remarks' {
        $examples = @($help.examples.example)
        $examples.Count | Should -BeGreaterOrEqual 2
        foreach ($example in $examples) {
            "$($example.code)".Trim() | Should -Not -BeNullOrEmpty -Because "example '$($example.title)' needs code"
            ($example.remarks | Out-String).Trim() | Should -Not -BeNullOrEmpty -Because "example '$($example.title)' needs a remark"
        }
    }

    It 'describes every parameter' {
        $documented = @{}
        foreach ($parameter in @($help.parameters.parameter)) {
            if ($null -ne $parameter) { $documented[$parameter.name] = ($parameter.description | Out-String).Trim() }
        }
        # Not $name: PowerShell variables ignore case, and $Name is the cmdlet of this block.
        foreach ($parameterName in $command.Parameters.Keys) {
            if ($Common.Contains($parameterName)) { continue }
            if ($OptionalCommon.Contains($parameterName) -and -not $documented.ContainsKey($parameterName)) { continue }
            $documented.ContainsKey($parameterName) | Should -BeTrue -Because "-$parameterName of $Name must be in the help"
            $documented[$parameterName] | Should -Not -BeNullOrEmpty -Because "-$parameterName of $Name needs a description"
        }
    }

    It 'documents only parameters the cmdlet has' {
        foreach ($parameter in @($help.parameters.parameter)) {
            if ($null -eq $parameter) { continue }
            $command.Parameters.ContainsKey($parameter.name) | Should -BeTrue -Because "the help of $Name documents -$($parameter.name)"
        }
    }
}

Describe 'Get-Help about_SangoPS' {
    It 'returns the about topic text' {
        $text = Get-Help about_SangoPS | Out-String
        $text | Should -Match 'about_SangoPS'
        $text | Should -Match 'LONG DESCRIPTION'
        $text | Should -Match 'PayloadTooLarge'
    }
}
