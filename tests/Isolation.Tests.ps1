# SangoPS loads its library and MQTTnet into an AssemblyLoadContext of its own: another module that brought a
# different MQTTnet into the session first must neither break SangoPS nor be broken by it.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:module = if ($env:SANGOPS_MODULE) { $env:SANGOPS_MODULE } else { Join-Path $PSScriptRoot '../out/SangoPS' }

    # A stand-in for another module's MQTTnet: an assembly named MQTTnet, version 4.3.7, with a type of its own.
    $script:other = Join-Path $TestDrive 'other-module'
    New-Item -ItemType Directory -Path $other | Out-Null
    $name = [System.Reflection.AssemblyName]::new('MQTTnet')
    $name.Version = [version]'4.3.7.0'
    $builder = [System.Reflection.Emit.PersistedAssemblyBuilder]::new($name, [object].Assembly)
    $null = $builder.DefineDynamicModule('MQTTnet').DefineType('MQTTnet.MqttFactory', [System.Reflection.TypeAttributes]'Public, Class').CreateType()
    $builder.Save((Join-Path $other 'MQTTnet.dll'))
}

Describe 'Living beside other modules' {
    It 'works when another MQTTnet was loaded first, and leaves that one working' {
        $script = @"
`$ErrorActionPreference = 'Stop'
`$foreign = [System.Reflection.Assembly]::LoadFrom('$(Join-Path $other 'MQTTnet.dll')')
Import-Module '$module'
`$broker = Start-SangoLocalBroker
`$s = Connect-Sango `$broker.Endpoint
Publish-SangoMessage -Topic 'iso/t' -Payload 'isolated' -Retain
`$m = Receive-SangoMessage -Topic 'iso/t' -Count 1 -TimeoutSeconds 10
Disconnect-Sango; `$broker | Stop-SangoLocalBroker
'RECEIVED=' + `$m.Payload
'FOREIGN=' + [MQTTnet.MqttFactory].Assembly.GetName().Version
[AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'MQTTnet' } | ForEach-Object {
    'MQTTNET=' + `$_.GetName().Version + '@' + [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$_).Name
}
"@
        $r = Invoke-SangoPwsh -ArgumentList '-Command', $script -TimeoutSeconds 60
        $r.ExitCode | Should -Be 0 -Because ($r.StdOut + $r.StdErr)
        $r.StdOut | Should -Match 'RECEIVED=isolated'
        $r.StdOut | Should -Match 'FOREIGN=4\.3\.7\.0'
        $r.StdOut | Should -Match 'MQTTNET=4\.3\.7\.0@Default'
        $r.StdOut | Should -Match 'MQTTNET=5\.2\.0\.1603@SangoPS'
    }

    It 'keeps MQTTnet out of the module''s root folder, so nothing else can bind to it there' {
        Get-ChildItem $module -Filter 'MQTTnet*.dll' | Should -BeNullOrEmpty
        Get-ChildItem (Join-Path $module 'Dependencies') -Filter 'MQTTnet.dll' | Should -Not -BeNullOrEmpty
    }
}

Describe 'The precompiled library for PowerShell 7.6' {
    BeforeAll {
        $script:dependencies = Join-Path $module 'Dependencies'
        function script:Get-PEFacts([string] $Path) {
            $stream = [System.IO.File]::OpenRead($Path)
            try {
                $reader = [System.Reflection.PortableExecutable.PEReader]::new($stream)
                $metadata = [System.Reflection.Metadata.PEReaderExtensions]::GetMetadataReader($reader)
                $framework = foreach ($handle in $metadata.CustomAttributes) {
                    $attribute = $metadata.GetCustomAttribute($handle)
                    $ctor = $metadata.GetMemberReference([System.Reflection.Metadata.MemberReferenceHandle]$attribute.Constructor)
                    $type = $metadata.GetTypeReference([System.Reflection.Metadata.TypeReferenceHandle]$ctor.Parent)
                    if ($metadata.GetString($type.Name) -eq 'TargetFrameworkAttribute') {
                        # The blob: prolog (2 bytes), then the framework name as a serialized string.
                        $blob = $metadata.GetBlobReader($attribute.Value); $null = $blob.ReadUInt16(); $blob.ReadSerializedString()
                    }
                }
                [pscustomobject]@{
                    ReadyToRun = $reader.PEHeaders.CorHeader.ManagedNativeHeaderDirectory.Size -gt 0
                    Framework  = $framework
                }
            }
            finally { $stream.Dispose() }
        }
    }

    It 'ships the library and MQTTnet for .NET 10, ReadyToRun, for <_>' -ForEach @('win-x64', 'linux-x64') {
        foreach ($name in 'SangoPS.Engine.dll', 'MQTTnet.dll', 'MQTTnet.Server.dll') {
            $facts = Get-PEFacts (Join-Path $dependencies "net10.0/$_/$name")
            $facts.ReadyToRun | Should -BeTrue -Because "$name for $_ must be precompiled"
            $facts.Framework | Should -Be '.NETCoreApp,Version=v10.0' -Because $name
        }
    }

    It 'keeps the portable copy for .NET 8 as plain IL' {
        $facts = Get-PEFacts (Join-Path $dependencies 'SangoPS.Engine.dll')
        $facts.ReadyToRun | Should -BeFalse
        $facts.Framework | Should -Be '.NETCoreApp,Version=v8.0'
    }

    It 'loads the precompiled copy on this .NET 10 machine, and it works' {
        # Skipped only where no copy is built; on a platform that gets one, a missing folder fails below.
        $rid = [System.Runtime.InteropServices.RuntimeInformation]::RuntimeIdentifier
        if ($rid -notin 'win-x64', 'linux-x64') {
            Set-ItResult -Skipped -Because "no precompiled copy is built for $rid"
            return
        }
        $script = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$module'
`$broker = Start-SangoLocalBroker
`$null = Connect-Sango `$broker.Endpoint
Publish-SangoMessage -Topic 'r2r/t' -Payload 'precompiled' -Retain
'RECEIVED=' + (Receive-SangoMessage -Topic 'r2r/t' -Count 1 -TimeoutSeconds 10).Payload
Disconnect-Sango; `$broker | Stop-SangoLocalBroker
[AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -in 'SangoPS.Engine', 'MQTTnet' } | ForEach-Object {
    'LOADED=' + `$_.GetName().Name + '@' + `$_.Location
}
"@
        $r = Invoke-SangoPwsh -ArgumentList '-Command', $script -TimeoutSeconds 60
        $r.ExitCode | Should -Be 0 -Because ($r.StdOut + $r.StdErr)
        $r.StdOut | Should -Match 'RECEIVED=precompiled'
        $precompiled = [regex]::Escape((Join-Path $dependencies "net10.0/$rid"))
        $r.StdOut | Should -Match "LOADED=SangoPS\.Engine@$precompiled"
        $r.StdOut | Should -Match "LOADED=MQTTnet@$precompiled"
    }

    It 'chooses <Expected> for .NET <Major> on <Rid>' -ForEach @(
        @{ Major = 8; Rid = 'linux-x64'; Expected = 'the portable copy' }
        @{ Major = 9; Rid = 'win-x64'; Expected = 'the portable copy' }
        @{ Major = 10; Rid = 'win-x64'; Expected = 'net10.0/win-x64' }
        @{ Major = 11; Rid = 'linux-x64'; Expected = 'net10.0/linux-x64' }
        @{ Major = 10; Rid = 'freebsd-x64'; Expected = 'the portable copy' }
        @{ Major = 10; Rid = 'ubuntu.24.04-x64'; Expected = 'the portable copy' }
    ) {
        Import-Module $module
        $choose = [SangoPS.Commands.SangoModuleInitializer].GetMethod('ChooseDependencyDirectory', [System.Reflection.BindingFlags]'NonPublic, Static')
        $chosen = $choose.Invoke($null, @([string]$dependencies, [int]$Major, [string]$Rid))
        $want = if ($Expected -eq 'the portable copy') { $dependencies } else { Join-Path $dependencies $Expected }
        $chosen | Should -Be $want
    }
}
