# Runs before SangoPS's cmdlets are imported (ScriptsToProcess): SangoPS's library and MQTTnet then load into an
# AssemblyLoadContext of their own, so another module's MQTTnet cannot clash with them.
[SangoPS.Commands.SangoModuleInitializer]::Register()
