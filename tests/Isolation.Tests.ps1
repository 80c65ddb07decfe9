# SangoPS loads its library and MQTTnet into an AssemblyLoadContext of its own: another module that brought a
# different MQTTnet into the session first must neither break SangoPS nor be broken by it.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:module = if ($env:SANGOPS_MODULE) { $env:SANGOPS_MODULE } else { Join-Path $PSScriptRoot '../out/SangoPS' }
    $script:pwsh = (Get-Process -Id $PID).Path
    [string[]] $script:pwshArgs = if ($pwsh -match 'dotnet(\.exe)?$') { @((Join-Path $PSHOME 'pwsh.dll')) } else { @() }

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
        $r = Invoke-SangoTestProcess -FilePath $pwsh -ArgumentList ($pwshArgs + @('-NoProfile', '-NonInteractive', '-Command', $script)) -TimeoutSeconds 60
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
