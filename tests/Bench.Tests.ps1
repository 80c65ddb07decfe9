#Requires -Version 7.4
# Smoke test of the benchmark (Pester 6): build/bench.ps1 -Quick runs end to end against the built module, so the
# benchmark cannot rot. It asserts that every case ran and passed its correctness check (every message arrived),
# and which rows carry the targets (the ReadyToRun copy of PowerShell's); it times nothing and asserts no
# performance figure. The module comes from $env:SANGOPS_MODULE (build.ps1 test).

BeforeDiscovery {
    $script:caseRows = @(
        @{ Row = 'Publish QoS 0' }
        @{ Row = 'Publish QoS 1' }
        @{ Row = 'Scheduled task:' }
        @{ Row = 'Scheduled task over TLS' }
        @{ Row = 'Import-Module SangoPS' }
        @{ Row = 'Receive latency p50' }
        @{ Row = 'Receive latency p99' }
        @{ Row = 'Receive rate' }
        @{ Row = 'Memory over a 5,000-message receive' }
        @{ Row = 'Memory over a 5,000-message publish' }
        @{ Row = 'Batching economy' }
    )
    # The rows of the publish and scheduled-task targets: measured in the ReadyToRun copy of PowerShell.
    $script:targetRows = @(
        @{ Row = 'Publish QoS 0'; Target = '≥ 0.5× mosquitto_pub -l' }
        @{ Row = 'Publish QoS 1'; Target = '≥ 1.0× mosquitto_pub -l' }
        @{ Row = 'Scheduled task:'; Target = '≤ 200 ms over bare pwsh' }
        @{ Row = 'Scheduled task over TLS'; Target = '≤ 200 ms over bare pwsh' }
    )
    # The same cases in the IL-only `dotnet tool` PowerShell: information, no target.
    $script:ilRows = @(
        @{ Row = '… the same first pipeline in the IL-only `dotnet tool` PowerShell'; Count = 2 }
        @{ Row = '… the same task in the IL-only `dotnet tool` PowerShell'; Count = 1 }
        @{ Row = '… the same TLS task in the IL-only `dotnet tool` PowerShell'; Count = 1 }
    )
}

BeforeAll {
    $module = if ($env:SANGOPS_MODULE) { $env:SANGOPS_MODULE } else { Join-Path $PSScriptRoot '../out/SangoPS' }
    if (-not (Test-Path (Join-Path $module 'SangoPS.psd1'))) { throw "The module is not built at ${module}: run ./build.ps1 build first." }
    $script:bench = Join-Path $PSScriptRoot '../build/bench.ps1'
    $script:module = $module
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force

    function Invoke-QuickBench([string[]] $Extra = @()) {
        # The same PowerShell that runs the tests, in a child process (the benchmark starts and kills processes).
        # A bound, not a measurement: -Quick normally ends in about a minute.
        $run = Invoke-SangoPwsh -ArgumentList (@('-File', $script:bench, '-ModulePath', $script:module, '-Quick') + $Extra) -TimeoutSeconds 300
        [pscustomobject]@{
            TimedOut = $run.TimedOut
            ExitCode = $run.ExitCode
            Output   = $run.StdOut
            Rows     = @($run.StdOut -split "\r?\n" | Where-Object { $_ -match '^\| ' })
            Because  = "the benchmark printed:`n$($run.StdOut)`n$($run.StdErr)"
        }
    }

    function Get-Cell([string] $Row, [int] $Index) {
        # Cells of a markdown row: 1 Case, 2 SangoPS, 3 mosquitto_pub, 4 raw MQTTnet, 5 Ratio, 6 Target, 7 Met?
        ($Row -split '(?<!\\)\|')[$Index].Trim()
    }

    function Find-Row($Bench, [string] $Prefix) {
        # Always an array (the comma keeps a single row from being unrolled into a string).
        , @($Bench.Rows | Where-Object { $_.StartsWith("| $Prefix") })
    }
}

Describe 'build/bench.ps1 -Quick' {
    BeforeAll {
        $script:quick = Invoke-QuickBench
        $script:output = $quick.Output
        $script:tableRows = $quick.Rows
        $script:because = $quick.Because
    }

    It 'finishes and exits 0' {
        $quick.TimedOut | Should -BeFalse -Because $because
        $quick.ExitCode | Should -Be 0 -Because $because
    }

    It 'names the machine, the versions and the date' {
        $output | Should -Match '(?m)^- Machine: \d+ cores'
        $output | Should -Match '(?m)^- PowerShell \d+\.\d+'
        $output | Should -Match '(?m)^- Broker: mosquitto \d.*second listener for TLS'
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
        $output | Should -Match ('(?m)^- ReadyToRun copy of this PowerShell \(the rows that name it, where the publish and scheduled-task targets are judged\): {0} IL assemblies of .+ compiled with crossgen2 \d+\.\d+' -f $ilAssemblies.Count) -Because $because
    }

    It 'prints the table header' {
        $tableRows | Should -Contain '| Case | SangoPS | mosquitto_pub | raw MQTTnet | Ratio | Target | Met? |'
    }

    It 'prints the row "<Row>" with a value in the SangoPS column' -ForEach $caseRows {
        $row = Find-Row $quick $Row
        $row.Count | Should -Be 1 -Because $because
        $sango = Get-Cell $row[0] 2
        $sango | Should -Not -BeNullOrEmpty
        $sango | Should -Not -Match '^\?' -Because 'every case must have produced a value'
    }

    It 'judges "<Row>" in the ReadyToRun copy: its row names the copy and carries the target and a verdict' -ForEach $targetRows {
        $row = Find-Row $quick $Row
        $row.Count | Should -Be 1 -Because $because
        Get-Cell $row[0] 1 | Should -BeLike '*in a ReadyToRun copy of this PowerShell*'
        Get-Cell $row[0] 1 | Should -Not -BeLike '*IL-only*'
        Get-Cell $row[0] 2 | Should -Match '^[\d,]+$' -Because $row[0]
        Get-Cell $row[0] 6 | Should -BeExactly $Target
        Get-Cell $row[0] 7 | Should -BeIn 'yes', 'no' -Because $row[0]
    }

    It 'reports "<Row>" <Count> time(s) as information: a value, no target, no verdict' -ForEach $ilRows {
        $rows = Find-Row $quick $Row
        $rows.Count | Should -Be $Count -Because $because
        foreach ($row in $rows) {
            Get-Cell $row 2 | Should -Match '^[\d,]+$' -Because $row
            Get-Cell $row 6 | Should -BeExactly '—' -Because $row
            Get-Cell $row 7 | Should -BeExactly '—' -Because $row
        }
    }

    It 'gives no row measured in the IL-only tool a target' {
        $ilOnly = @($tableRows | Where-Object { (Get-Cell $_ 1) -like '*IL-only*' })
        # Per QoS: first pipeline, later pipelines, Get-Content alone, no tiering; then the task, the task printing
        # its session, the TLS task and Import-Module.
        $ilOnly.Count | Should -Be 12 -Because $because
        foreach ($row in $ilOnly) {
            Get-Cell $row 6 | Should -BeExactly '—' -Because $row
            Get-Cell $row 7 | Should -BeExactly '—' -Because $row
        }
    }

    It 'carries the targets on the ReadyToRun rows, the receive latency and the memory rows only' {
        # Every row but the header (the |---| line is not among the table rows: they start with '| ').
        $withTarget = @($tableRows | Where-Object { (Get-Cell $_ 1) -ne 'Case' -and (Get-Cell $_ 6) -ne '—' })
        $withTarget.Count | Should -Be 7 -Because $because
        foreach ($row in $withTarget) {
            $case = Get-Cell $row 1
            ($case -like '*in a ReadyToRun copy of this PowerShell*' -or $case -like 'Receive latency p99*' -or $case -like 'Memory over*') | Should -BeTrue -Because $row
        }
    }

    It 'measures the scheduled task over TLS: a time, its bare pwsh, and mosquitto_pub over TLS beside it' {
        $row = (Find-Row $quick 'Scheduled task over TLS')[0]
        Get-Cell $row 1 | Should -BeLike '*Connect-Sango mqtts://*-CaFile*-TlsServerName a.sango.test*'
        Get-Cell $row 2 | Should -Match '^[\d,]+$' -Because $row
        Get-Cell $row 3 | Should -Match '^[\d,]+\.\d$' -Because $row
        Get-Cell $row 5 | Should -Match '^[+−]?[\d,]+ ms over its bare pwsh \([\d,]+ ms\); [+−]?[\d,]+ ms over the plain task$' -Because $row
        $il = (Find-Row $quick '… the same TLS task in the IL-only')[0]
        Get-Cell $il 5 | Should -Match '^[+−]?[\d,]+ ms over its bare pwsh \([\d,]+ ms\); [+−]?[\d,]+ ms over the plain task$' -Because $il
    }

    It 'checks that the TLS task''s message arrived, in every PowerShell, and mosquitto_pub''s over TLS' {
        $output | Should -Match '(?m)^- scheduled-task: SangoPS over TLS ms per run: [\d,.]+$' -Because $because
        $output | Should -Match '(?m)^- scheduled-task: SangoPS over TLS, ReadyToRun PowerShell ms per run: [\d,.]+$' -Because $because
        $output | Should -Match '(?m)^- scheduled-task: mosquitto_pub over TLS ms per run: [\d,.]+$' -Because $because
    }

    It 'prints "<Row>" <Count> time(s), each with a value in the SangoPS column' -ForEach @(
        @{ Row = '… the same pipeline run again in that IL-only pwsh'; Count = 2 }
        @{ Row = '… `Get-Content lines.txt \| Out-Null` alone'; Count = 2 }
        @{ Row = '… the IL-only first pipeline again, in a pwsh started with `DOTNET_TieredCompilation=0`'; Count = 2 }
        @{ Row = '… the same in the IL-only tool, printing the session'; Count = 1 }
    ) {
        $rows = Find-Row $quick $Row
        $rows.Count | Should -Be $Count -Because $because
        foreach ($row in $rows) {
            Get-Cell $row 2 | Should -Match '^[\d,]+$' -Because $row
        }
    }

    It 'measures the batching economy: samples per message and how full the messages are' {
        $row = Find-Row $quick 'Batching economy'
        $row[0] | Should -Match '2,000 samples in \d+ messages: [\d.,]+ samples/message, [\d.]+% full'
    }

    It 'reports no FAILED run' {
        $output | Should -Not -MatchExactly 'FAILED' -Because $because
    }

    It 'writes no file in -Quick mode' {
        $output | Should -Not -Match '(?m)^Wrote '
    }
}

Describe 'build/bench.ps1 -Quick -NoReadyToRun (no ReadyToRun copy of PowerShell)' {
    BeforeAll {
        $script:plain = Invoke-QuickBench '-NoReadyToRun'
    }

    It 'finishes and exits 0, and the header says why the copy is missing' {
        $plain.TimedOut | Should -BeFalse -Because $plain.Because
        $plain.ExitCode | Should -Be 0 -Because $plain.Because
        $plain.Output | Should -Match '(?m)^- ReadyToRun copy of this PowerShell \(.*\): not measured: -NoReadyToRun was given$'
    }

    It 'shows "<Row>" as ''?'', not measured, never met' -ForEach $targetRows {
        $row = Find-Row $plain $Row
        $row.Count | Should -Be 1 -Because $plain.Because
        Get-Cell $row[0] 2 | Should -BeExactly '?' -Because $row[0]
        Get-Cell $row[0] 6 | Should -BeExactly $Target
        Get-Cell $row[0] 7 | Should -BeExactly 'not measured' -Because $row[0]
    }

    It 'still measures "<Row>" in the IL-only tool, as information' -ForEach $ilRows {
        $rows = Find-Row $plain $Row
        $rows.Count | Should -Be $Count -Because $plain.Because
        foreach ($row in $rows) {
            Get-Cell $row 2 | Should -Match '^[\d,]+$' -Because $row
            Get-Cell $row 6 | Should -BeExactly '—' -Because $row
        }
    }

    It 'reports no FAILED run' {
        $plain.Output | Should -Not -MatchExactly 'FAILED' -Because $plain.Because
    }
}
