@{
    # The one source of the module's version: build.ps1 passes it to the assembly and the package.
    ModuleVersion        = '0.1.0'
    RootModule           = 'SangoPS.dll'
    GUID                 = '6f0c8a52-3b7e-4d57-9a35-2f1e8d3c9b41'
    Author               = 'SangoPS contributors'
    CompanyName          = 'SangoPS'
    Copyright            = '(c) SangoPS contributors. MIT License.'
    Description          = 'Send and receive MQTT telemetry from PowerShell, safely: TLS with wildcard certificates that verify, payload limits checked before sending, clear errors.'
    CompatiblePSEditions = @('Core')
    PowerShellVersion    = '7.4'
    FormatsToProcess     = @('SangoPS.Format.ps1xml')
    CmdletsToExport      = @(
        'Connect-Sango'
        'Disconnect-Sango'
        'Get-SangoSession'
        'Publish-SangoMessage'
        'Receive-SangoMessage'
        'Start-SangoLocalBroker'
        'Stop-SangoLocalBroker'
        'Test-SangoCertificate'
        'Get-SangoSpool'
        'Get-SangoUsage'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('MQTT', 'IoT', 'Telemetry', 'TLS', 'PSEdition_Core', 'Windows', 'Linux', 'MacOS')
            ProjectUri   = 'https://github.com/sangops/SangoPS'
            LicenseUri   = 'https://github.com/sangops/SangoPS/blob/main/LICENSE'
            ReleaseNotes = 'First release: sessions over TLS and secure WebSocket with failover, publish with client-side limits and -Batch packing, receive, usage figures (Get-SangoUsage), certificate checks, spool, local broker for demos.'
        }
    }
}
