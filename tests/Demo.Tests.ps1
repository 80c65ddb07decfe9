# The README's first command runs the demo; this keeps it working (it uses the in-process broker only).
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:module = if ($env:SANGOPS_MODULE) { $env:SANGOPS_MODULE } else { Join-Path $PSScriptRoot '../out/SangoPS' }
}

Describe 'build.ps1 demo' {
    It 'publishes telemetry samples of this machine, receives them back over plain MQTT and TLS, and shows a refusal' {
        $demo = Join-Path $PSScriptRoot '../build/demo.ps1'
        $r = Invoke-SangoPwsh -ArgumentList '-File', $demo, '-ModulePath', $module -TimeoutSeconds 120
        $r.ExitCode | Should -Be 0 -Because ($r.StdOut + $r.StdErr)
        $out = $r.StdOut -replace '\x1b\[[0-9;]*m', ''
        foreach ($sample in 'cpu', 'memory', 'processes', 'uptime') { $out | Should -Match "demo/[^/\s]+/$sample" }
        $out | Should -Match 'PayloadTooLarge'
        $out | Should -Match 'MatchedName\s+: \*\.sango\.test'
        $out | Should -Match 'CertificateValidationFailed'
    }
}
