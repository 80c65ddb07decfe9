#Requires -Version 7.4
# Smoke test of the benchmark (Pester 6): build/bench.ps1 -Quick runs end to end against the built module, so the
# benchmark cannot rot. It asserts that every case ran and passed its correctness check (every message arrived);
# it times nothing and asserts no performance figure. The module comes from $env:SANGOPS_MODULE (build.ps1 test).

BeforeDiscovery {
    $script:caseRows = @(
        @{ Row = 'Publish QoS 0' }
        @{ Row = 'Publish QoS 1' }
        @{ Row = 'Scheduled task' }
        @{ Row = 'Import-Module SangoPS' }
        @{ Row = 'Receive latency p50' }
        @{ Row = 'Receive latency p99' }
        @{ Row = 'Receive rate' }
        @{ Row = 'Memory over a 5,000-message receive' }
        @{ Row = 'Memory over a 5,000-message publish' }
        @{ Row = 'Batching economy' }
    )
}

BeforeAll {
    $module = if ($env:SANGOPS_MODULE) { $env:SANGOPS_MODULE } else { Join-Path $PSScriptRoot '../out/SangoPS' }
    if (-not (Test-Path (Join-Path $module 'SangoPS.psd1'))) { throw "The module is not built at ${module}: run ./build.ps1 build first." }
    $bench = Join-Path $PSScriptRoot '../build/bench.ps1'

    # The same PowerShell that runs the tests, in a child process (the benchmark starts and kills processes).
    # A bound, not a measurement: -Quick normally ends in well under a minute.
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $run = Invoke-SangoPwsh -ArgumentList '-File', $bench, '-ModulePath', $module, '-Quick' -TimeoutSeconds 240
    $script:timedOut = $run.TimedOut
    $script:exitCode = $run.ExitCode
    $script:output = $run.StdOut
    $script:errors = $run.StdErr
    $script:tableRows = @($output -split "\r?\n" | Where-Object { $_ -match '^\| ' })
    $script:because = "the benchmark printed:`n$output`n$errors"
}

Describe 'build/bench.ps1 -Quick' {
    It 'finishes and exits 0' {
        $timedOut | Should -BeFalse -Because $because
        $exitCode | Should -Be 0 -Because $because
    }

    It 'names the machine, the versions and the date' {
        $output | Should -Match '(?m)^- Machine: \d+ cores'
        $output | Should -Match '(?m)^- PowerShell \d+\.\d+'
        $output | Should -Match '(?m)^- Broker: mosquitto \d'
        $output | Should -Match '(?m)^- Date: \d{4}-\d{2}-\d{2}'
    }

    It 'compiles every IL assembly of the running PowerShell ReadyToRun for the rows that name the copy' {
        $ilAssemblies = @(Get-ChildItem -LiteralPath $PSHOME -Filter '*.dll' -File | Where-Object {
                $stream = [System.IO.File]::OpenRead($_.FullName)
                try {
                    $pe = [System.Reflection.PortableExecutable.PEReader]::new($stream)
                    $pe.HasMetadata -and $pe.PEHeaders.CorHeader.ManagedNativeHeaderDirectory.Size -eq 0
                }
                catch [System.BadImageFormatException] { $false }
                finally { $stream.Dispose() }
            })
        $output | Should -Match ('(?m)^- ReadyToRun copy of this PowerShell \(the rows that name it\): {0} IL assemblies of .+ compiled with crossgen2 \d+\.\d+' -f $ilAssemblies.Count) -Because $because
    }

    It 'prints the table header' {
        $tableRows | Should -Contain '| Case | SangoPS | mosquitto_pub | raw MQTTnet | Ratio | Target | Met? |'
    }

    It 'prints the row "<Row>" with a value in the SangoPS column' -ForEach $caseRows {
        $row = @($tableRows | Where-Object { $_.StartsWith("| $Row") })
        $row.Count | Should -Be 1 -Because $because
        $sango = ($row[0] -split '\|')[2].Trim()
        $sango | Should -Not -BeNullOrEmpty
        $sango | Should -Not -Match '^\?' -Because 'every case must have produced a value'
    }

    It 'prints "<Row>" <Count> time(s), each with a value in the SangoPS column' -ForEach @(
        @{ Row = '… the same pipeline run again in that pwsh'; Count = 2 }
        @{ Row = '… `Get-Content lines.txt \| Out-Null` alone'; Count = 2 }
        @{ Row = '… the first row again, in a pwsh started with `DOTNET_TieredCompilation=0`'; Count = 2 }
        @{ Row = '… the first row again, in a ReadyToRun copy of this PowerShell'; Count = 2 }
        @{ Row = '… the same task in a ReadyToRun copy of this PowerShell'; Count = 1 }
        @{ Row = 'The same, printing the session'; Count = 1 }
    ) {
        $rows = @($tableRows | Where-Object { $_.StartsWith("| $Row") })
        $rows.Count | Should -Be $Count -Because $because
        foreach ($row in $rows) {
            ($row -split '(?<!\\)\|')[2].Trim() | Should -Match '^[\d,]+$' -Because $row
        }
    }

    It 'measures the batching economy: samples per message and how full the messages are' {
        $row = @($tableRows | Where-Object { $_.StartsWith('| Batching economy') })
        $row[0] | Should -Match '2,000 samples in \d+ messages: [\d.,]+ samples/message, [\d.]+% full'
    }

    It 'reports no FAILED run' {
        $output | Should -Not -MatchExactly 'FAILED' -Because $because
    }

    It 'writes no file in -Quick mode' {
        $output | Should -Not -Match '(?m)^Wrote '
    }
}
