<#
.SYNOPSIS
    SangoPS help compiler: markdown help pages -> MAML (SangoPS.dll-Help.xml) and
    about_*.help.txt. A small replacement for the parts of platyPS the build needs.

.DESCRIPTION
    Functions
      ConvertFrom-SangoHelpMarkdown -Path <md>           parse one cmdlet page into an object
      ConvertTo-SangoMaml -Command <parsed[]>            MAML XML string (helpItems schema="maml")
      ConvertTo-SangoAboutHelp -Path <about_X.md>        plain-text about topic
      Build-SangoHelp -DocsPath -OutputPath -ModuleName  compile a docs folder
      Test-SangoHelpCoverage -Module [-DocsPath]         list help problems of a module

    CMDLET PAGE FORMAT (platyPS 0.14 "schema 2.0.0" layout)

      ---                                         front matter; a page is a cmdlet page
      external help file: SangoPS.dll-Help.xml    when it has "external help file".
      Module Name: SangoPS                        Module Name must match -ModuleName.
      online version: https://...                 optional; becomes the first related link
      schema: 2.0.0
      ---
      # Verb-Noun                                 required, first heading, = file base name
      ## SYNOPSIS                                 required, must not be empty
      One paragraph.
      ## SYNTAX                                   optional. "### SetName" or
      ### ByName (Default)                        "### SetName (Default)" headings, each
      ```                                         followed by a code block. Only the set
      Verb-Noun [-Name] <String> [...]            names/order are used: the MAML syntax is
      ```                                         built from the parameters' yaml blocks.
      ## DESCRIPTION                              paragraphs, lists, code blocks, ### sub-headings
      ## EXAMPLES
      ### Example 1: Title                        one "###" per example; the heading is the title
      ```powershell                               at least one code block (several are joined
      Verb-Noun -Name x                           with a blank line). All other text of the
      ```                                         example (before or after the code) = remarks.
      Remarks paragraph(s).
      ## PARAMETERS
      ### -Name                                   one "### -Name" per parameter; description
      Description paragraphs.                     paragraphs, then a ```yaml block:
      ```yaml
      Type: String                                as displayed, e.g. String, String[], SwitchParameter
      Parameter Sets: (All)                       (All) or comma-separated set names
      Aliases: n, nm                              comma-separated; empty = none
      Accepted values: a, b, c                    optional; comma-separated
      Required: True                              True | False
      Position: 0                                 a number or Named
      Default value: None
      Accept pipeline input: True (ByPropertyName)  False | True (ByValue) | True (ByPropertyName) | True (ByValue, ByPropertyName)
      Accept wildcard characters: False           True | False
      ```
      A parameter whose Required/Position differ per parameter set may have several
      yaml blocks (one per set, as platyPS writes them).
      ### CommonParameters                        optional, its text is ignored
      ## INPUTS
      ### System.String                           one "###" per type (or "### None")
      Description.
      ## OUTPUTS
      ### SangoPS.SangoSession
      Description.
      ## NOTES                                    free text, may be empty
      ## RELATED LINKS                            one link per line: [Text](Uri) or plain text;
      [Connect-Sango](Connect-Sango.md)           relative (*.md) uris are dropped in MAML

    Inline markdown (**bold**, *em*, `code`, [text](uri), \escapes) is reduced to
    plain text in MAML. Code blocks inside descriptions/remarks are indented 4 spaces.
    HTML comments are ignored. Section names are case-insensitive; an unknown "##"
    section is an error. Errors are thrown as "<file>:<line>: <message>".

    ABOUT PAGE FORMAT (docs/about_X.md, no front matter needed)
      # about_X                 -> TOPIC / about_X
      ## Short description      -> SHORT DESCRIPTION      (any "##" heading, upper-cased)
      ## Long description       -> LONG DESCRIPTION
      ### Sub heading           -> "  SUB HEADING"
      Text is wrapped at 80 columns and indented 4 spaces; lists keep "-"/"1." markers
      with a hanging indent; code blocks are indented 8 spaces verbatim; tables are aligned.
#>

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

$script:NsMaml = 'http://schemas.microsoft.com/maml/2004/10'
$script:NsCommand = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$script:NsDev = 'http://schemas.microsoft.com/maml/dev/2004/10'
$script:NsMsHelp = 'http://msdn.microsoft.com/mshelp'
$script:NsMsh = 'http://msh'

$script:KnownSections = @('SYNOPSIS', 'SYNTAX', 'DESCRIPTION', 'EXAMPLES', 'PARAMETERS', 'INPUTS', 'OUTPUTS', 'NOTES', 'RELATED LINKS')
$script:YamlKeys = @{
    'type'                       = 'Type'
    'parameter sets'             = 'ParameterSets'
    'aliases'                    = 'Aliases'
    'accepted values'            = 'AcceptedValues'
    'required'                   = 'Required'
    'position'                   = 'Position'
    'default value'              = 'DefaultValue'
    'accept pipeline input'      = 'AcceptPipelineInput'
    'accept wildcard characters' = 'AcceptWildcardCharacters'
    'applicable'                 = $null   # written by some platyPS versions; ignored
}

#region Markdown primitives

function New-HelpPageError {
    param([string] $Path, [int] $Line, [string] $Message)
    $text = '{0}:{1}: {2}' -f $Path, $Line, $Message
    $ex = [System.IO.InvalidDataException]::new($text)
    [System.Management.Automation.ErrorRecord]::new($ex, 'SangoHelpMalformedPage', 'InvalidData', $Path)
}

function Read-MarkdownFile {
    # Returns @{ FrontMatter = ordered dictionary; Lines = string[]; FirstLine = 1-based line number of Lines[0] }
    param([string] $Path)
    $text = [System.IO.File]::ReadAllText($Path)
    $lines = $text -replace "`r`n", "`n" -replace "`r", "`n" -split "`n"
    $front = [ordered]@{}
    $start = 0
    if ($lines.Count -gt 0 -and $lines[0].Trim() -eq '---') {
        $end = -1
        for ($i = 1; $i -lt $lines.Count; $i++) {
            if ($lines[$i].Trim() -eq '---') { $end = $i; break }
        }
        if ($end -lt 0) { throw (New-HelpPageError $Path 1 'Front matter starting with "---" is not closed by a "---" line.') }
        for ($i = 1; $i -lt $end; $i++) {
            if ($lines[$i] -match '^\s*([^:#][^:]*?)\s*:\s*(.*?)\s*$') {
                $front[$Matches[1]] = $Matches[2].Trim('"', "'")
            }
        }
        $start = $end + 1
    }
    $body = if ($start -lt $lines.Count) { $lines[$start..($lines.Count - 1)] } else { @() }
    # Blank out HTML comments (keep line count so line numbers stay right).
    $joined = ($body -join "`n")
    $joined = [regex]::Replace($joined, '<!--.*?-->', { param($m) ($m.Value -replace '[^\n]', '') }, 'Singleline')
    @{ FrontMatter = $front; Lines = [string[]]($joined -split "`n"); FirstLine = $start + 1 }
}

function Split-MarkdownBlocks {
    # Splits body lines into Heading / Code / Text blocks. Headings inside code fences are not headings.
    param([string[]] $Lines, [int] $FirstLine, [string] $Path)
    $blocks = [System.Collections.Generic.List[object]]::new()
    $i = 0
    while ($i -lt $Lines.Count) {
        $line = $Lines[$i]
        $lineNo = $FirstLine + $i
        if ($line -match '^\s{0,3}(`{3,}|~{3,})\s*([^`\s]*)') {
            $fence = $Matches[1]
            $lang = $Matches[2]
            $indent = ($line -replace '^(\s*).*$', '$1').Length
            $code = [System.Collections.Generic.List[string]]::new()
            $closed = $false
            $i++
            while ($i -lt $Lines.Count) {
                $l = $Lines[$i]
                if ($l -match ('^\s{0,3}' + [regex]::Escape($fence.Substring(0, 1)) + '{' + $fence.Length + ',}\s*$')) { $closed = $true; break }
                # remove the fence's own indentation from content lines
                if ($indent -gt 0 -and $l.Length -ge $indent -and $l.Substring(0, $indent).Trim() -eq '') { $l = $l.Substring($indent) }
                $code.Add($l)
                $i++
            }
            if (-not $closed) { throw (New-HelpPageError $Path $lineNo "Code block opened with '$fence' is never closed.") }
            $blocks.Add([pscustomobject]@{ Kind = 'Code'; Lang = $lang.ToLowerInvariant(); Text = ($code -join "`n"); Line = $lineNo })
            $i++
            continue
        }
        if ($line -match '^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$') {
            $blocks.Add([pscustomobject]@{ Kind = 'Heading'; Level = $Matches[1].Length; Text = $Matches[2].Trim(); Line = $lineNo })
        }
        else {
            $blocks.Add([pscustomobject]@{ Kind = 'Text'; Text = $line; Line = $lineNo })
        }
        $i++
    }
    , $blocks
}

function ConvertTo-PlainInline {
    # Reduces inline markdown to plain text.
    param([string] $Text)
    if ([string]::IsNullOrEmpty($Text)) { return '' }
    $spans = [System.Collections.Generic.List[string]]::new()
    # code spans -> placeholders
    $t = [regex]::Replace($Text, '(`+)(.+?)\1', { param($m) $spans.Add($m.Groups[2].Value.Trim()); "`u{E000}$($spans.Count - 1)`u{E001}" })
    # escaped punctuation -> placeholders too, so it survives the emphasis rules
    $t = [regex]::Replace($t, '\\([\\`*_{}\[\]()#+\-.!<>|~])', { param($m) $spans.Add($m.Groups[1].Value); "`u{E000}$($spans.Count - 1)`u{E001}" })
    # images/links
    $t = [regex]::Replace($t, '!?\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)', {
            param($m)
            $label = $m.Groups[1].Value; $uri = $m.Groups[2].Value
            if ($uri -match '^[a-z][a-z0-9+.-]*://' -and $uri -ne $label) { "$label ($uri)" } else { $label }
        })
    $t = [regex]::Replace($t, '<(https?://[^>\s]+)>', '$1')
    # emphasis
    $t = [regex]::Replace($t, '(\*\*|__)(?=\S)(.+?)(?<=\S)\1', '$2')
    $t = [regex]::Replace($t, '(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])', '$1')
    $t = [regex]::Replace($t, '(?<![\w_])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![\w_])', '$1')
    $t = [regex]::Replace($t, '~~(?=\S)(.+?)(?<=\S)~~', '$1')
    $t = $t -replace '<br\s*/?>', ' '
    [regex]::Replace($t, "`u{E000}(\d+)`u{E001}", { param($m) $spans[[int]$m.Groups[1].Value] })
}

function Get-MarkdownParagraphs {
    # Groups Text/Code blocks into logical items:
    #   Para (Text), ListItem (Text, Marker, Level), Code (Text), Table (Rows), SubHeading (Text, Level)
    param([object[]] $Blocks)
    $items = [System.Collections.Generic.List[object]]::new()
    $current = $null
    $table = $null
    $flush = {
        # dot-sourced: runs in the caller's scope
        if ($null -ne $current) { $items.Add($current); $current = $null }
        if ($null -ne $table) { $items.Add($table); $table = $null }
    }
    foreach ($b in $Blocks) {
        switch ($b.Kind) {
            'Heading' {
                . $flush
                $items.Add([pscustomobject]@{ Kind = 'SubHeading'; Text = (ConvertTo-PlainInline $b.Text); Level = $b.Level; Line = $b.Line })
            }
            'Code' {
                . $flush
                $items.Add([pscustomobject]@{ Kind = 'Code'; Text = $b.Text; Lang = $b.Lang; Line = $b.Line })
            }
            'Text' {
                $line = $b.Text
                if ($line.Trim() -eq '') { . $flush; continue }
                if ($line -match '^\s{0,3}([-*_])(\s*\1){2,}\s*$') { . $flush; continue }   # horizontal rule
                $line = $line -replace '^\s{0,3}>\s?', ''                                   # blockquote marker
                if ($line -match '^\s*\|.*\|\s*$') {
                    if ($null -ne $current) { $items.Add($current); $current = $null }
                    if ($null -eq $table) { $table = [pscustomobject]@{ Kind = 'Table'; Rows = [System.Collections.Generic.List[string[]]]::new(); Line = $b.Line } }
                    $cells = $line.Trim().Trim('|') -split '(?<!\\)\|' | ForEach-Object { ConvertTo-PlainInline $_.Trim() }
                    if (-not ($line -match '^\s*\|[\s:|-]+\|\s*$')) { $table.Rows.Add([string[]]$cells) }
                    continue
                }
                if ($null -ne $table) { $items.Add($table); $table = $null }
                if ($line -match '^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$') {
                    if ($null -ne $current) { $items.Add($current) }
                    $current = [pscustomobject]@{ Kind = 'ListItem'; Text = $Matches[3].Trim(); Marker = $Matches[2]; Level = [int][math]::Floor($Matches[1].Length / 2); Line = $b.Line }
                    continue
                }
                if ($null -eq $current) {
                    $current = [pscustomobject]@{ Kind = 'Para'; Text = $line.Trim(); Line = $b.Line }
                }
                else {
                    $sep = if ($current.Text.EndsWith('  ') -or $current.Text.EndsWith('\')) { "`n" } else { ' ' }
                    $current.Text = $current.Text.TrimEnd('\').TrimEnd() + $sep + $line.Trim()
                }
            }
        }
    }
    . $flush
    foreach ($it in $items) {
        if ($it.Kind -in 'Para', 'ListItem') { $it.Text = ConvertTo-PlainInline $it.Text }
    }
    , $items
}

function Format-TableRows {
    param([System.Collections.Generic.List[string[]]] $Rows)
    $cols = ($Rows | ForEach-Object { $_.Count } | Measure-Object -Maximum).Maximum
    $widths = @(for ($c = 0; $c -lt $cols; $c++) {
        ($Rows | ForEach-Object { if ($c -lt $_.Count) { $_[$c].Length } else { 0 } } | Measure-Object -Maximum).Maximum
    })
    $out = [System.Collections.Generic.List[string]]::new()
    for ($r = 0; $r -lt $Rows.Count; $r++) {
        $cells = for ($c = 0; $c -lt $cols; $c++) {
            $v = if ($c -lt $Rows[$r].Count) { $Rows[$r][$c] } else { '' }
            $v.PadRight($widths[$c])
        }
        $out.Add((($cells -join '  ').TrimEnd()))
        if ($r -eq 0 -and $Rows.Count -gt 1) {
            $out.Add((($widths | ForEach-Object { '-' * [math]::Max(1, $_) }) -join '  '))
        }
    }
    , $out.ToArray()
}

function ConvertTo-ParagraphStrings {
    # Items -> array of plain-text paragraphs (for MAML paras / object properties).
    param([object[]] $Items)
    foreach ($it in $Items) {
        switch ($it.Kind) {
            'Para' { $it.Text }
            'SubHeading' { $it.Text }
            'ListItem' {
                $marker = if ($it.Marker -match '^\d') { $it.Marker } else { '-' }
                ('  ' * $it.Level) + $marker + ' ' + $it.Text
            }
            'Code' { (($it.Text -split "`n" | ForEach-Object { if ($_.Trim()) { '    ' + $_ } else { '' } }) -join "`n").Trim("`n") }
            'Table' { (Format-TableRows $it.Rows) -join "`n" }
        }
    }
}

function Join-Paragraphs {
    # Consecutive list items are kept in one paragraph (one per line); other items are separated by a blank line.
    param([object[]] $Items)
    $parts = [System.Collections.Generic.List[string]]::new()
    $prevList = $false
    foreach ($it in $Items) {
        $text = ConvertTo-ParagraphStrings @($it)
        if ([string]::IsNullOrWhiteSpace($text)) { continue }
        $isList = $it.Kind -eq 'ListItem'
        if ($isList -and $prevList) { $parts[$parts.Count - 1] += "`n" + $text }
        else { $parts.Add($text) }
        $prevList = $isList
    }
    $parts -join "`n`n"
}

function Test-Placeholder {
    param([string] $Text)
    $Text -match '\{\{.*?\}\}'
}

#endregion

#region ConvertFrom-SangoHelpMarkdown

function ConvertFrom-SangoHelpMarkdown {
    <#
    .SYNOPSIS
        Parses one platyPS-style cmdlet help page (see the module header for the format).
    .OUTPUTS
        PSCustomObject (PSTypeName SangoPS.HelpCommand): Name, Synopsis, Description, Syntax,
        Parameters, Examples, Inputs, Outputs, Notes, RelatedLinks, OnlineVersion, ExternalHelpFile,
        ModuleName, Path.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)]
        [Alias('FullName')]
        [string[]] $Path
    )
    process {
        foreach ($p in $Path) {
            $full = (Resolve-Path -LiteralPath $p -ErrorAction Stop).ProviderPath
            $doc = Read-MarkdownFile $full
            $blocks = Split-MarkdownBlocks -Lines $doc.Lines -FirstLine $doc.FirstLine -Path $full

            # ---- split into H1 + H2 sections
            $name = $null; $nameLine = $doc.FirstLine
            $sections = [ordered]@{}
            $sectionLines = @{}
            $currentSection = $null
            foreach ($b in $blocks) {
                if ($b.Kind -eq 'Heading' -and $b.Level -eq 1) {
                    if ($null -ne $name) { throw (New-HelpPageError $full $b.Line "Second '# ' title heading '$($b.Text)'; a page documents one cmdlet.") }
                    $name = ConvertTo-PlainInline $b.Text; $nameLine = $b.Line
                    continue
                }
                if ($b.Kind -eq 'Heading' -and $b.Level -eq 2) {
                    $key = ($b.Text -replace '\s+', ' ').Trim().ToUpperInvariant()
                    if ($key -notin $script:KnownSections) {
                        throw (New-HelpPageError $full $b.Line "Unknown section '## $($b.Text)'. Expected one of: $($script:KnownSections -join ', ').")
                    }
                    if ($sections.Contains($key)) { throw (New-HelpPageError $full $b.Line "Section '## $key' appears twice.") }
                    if ($null -eq $name) { throw (New-HelpPageError $full $b.Line "Section '## $key' comes before the '# <CmdletName>' title heading.") }
                    $sections[$key] = [System.Collections.Generic.List[object]]::new()
                    $sectionLines[$key] = $b.Line
                    $currentSection = $key
                    continue
                }
                if ($null -eq $currentSection) {
                    if ($b.Kind -eq 'Text' -and $b.Text.Trim() -eq '') { continue }
                    if ($null -eq $name) { throw (New-HelpPageError $full $b.Line "Expected the '# <CmdletName>' title heading.") }
                    throw (New-HelpPageError $full $b.Line "Content after the title must be inside a '## ' section (found '$($b.Text)').")
                }
                $sections[$currentSection].Add($b)
            }
            if ($null -eq $name) { throw (New-HelpPageError $full $doc.FirstLine "Missing the '# <CmdletName>' title heading.") }
            if (-not $sections.Contains('SYNOPSIS')) { throw (New-HelpPageError $full $nameLine "Missing '## SYNOPSIS' section for '$name'.") }

            $get = { param($k) if ($sections.Contains($k)) { , $sections[$k].ToArray() } else { , @() } }

            # ---- SYNOPSIS / DESCRIPTION / NOTES
            $synopsis = ((ConvertTo-ParagraphStrings (Get-MarkdownParagraphs (& $get 'SYNOPSIS'))) -join ' ').Trim()
            if ($synopsis -eq '') { throw (New-HelpPageError $full $sectionLines['SYNOPSIS'] "The '## SYNOPSIS' section of '$name' is empty.") }
            $description = Join-Paragraphs (Get-MarkdownParagraphs (& $get 'DESCRIPTION'))
            $notes = Join-Paragraphs (Get-MarkdownParagraphs (& $get 'NOTES'))

            # ---- SYNTAX
            $syntax = [System.Collections.Generic.List[object]]::new()
            foreach ($b in (& $get 'SYNTAX')) {
                if ($b.Kind -eq 'Heading' -and $b.Level -eq 3) {
                    $setName = $b.Text; $isDefault = $false
                    if ($setName -match '^(.*?)\s*\(Default\)\s*$') { $setName = $Matches[1]; $isDefault = $true }
                    $syntax.Add([pscustomobject]@{ ParameterSetName = $setName.Trim(); IsDefault = $isDefault; Text = ''; Line = $b.Line })
                }
                elseif ($b.Kind -eq 'Code') {
                    if ($syntax.Count -eq 0) { $syntax.Add([pscustomobject]@{ ParameterSetName = '__AllParameterSets'; IsDefault = $true; Text = ''; Line = $b.Line }) }
                    $last = $syntax[$syntax.Count - 1]
                    $last.Text = (($last.Text, $b.Text.Trim()) | Where-Object { $_ }) -join "`n"
                }
            }

            # ---- EXAMPLES
            $examples = [System.Collections.Generic.List[object]]::new()
            $exBlocks = $null; $exTitle = $null; $exLine = 0
            $finishExample = {
                if ($null -ne $exTitle) {
                    $codes = @($exBlocks | Where-Object Kind -eq 'Code')
                    if ($codes.Count -eq 0) { throw (New-HelpPageError $full $exLine "Example '$exTitle' has no code block (``````powershell ... ``````).") }
                    $others = @($exBlocks | Where-Object Kind -ne 'Code')
                    $examples.Add([pscustomobject]@{
                            Title   = $exTitle
                            Code    = (($codes | ForEach-Object { $_.Text.Trim("`n") }) -join "`n`n")
                            Remarks = (Join-Paragraphs (Get-MarkdownParagraphs $others))
                            Line    = $exLine
                        })
                }
            }
            foreach ($b in (& $get 'EXAMPLES')) {
                if ($b.Kind -eq 'Heading' -and $b.Level -eq 3) {
                    . $finishExample
                    $exTitle = ConvertTo-PlainInline $b.Text; $exLine = $b.Line
                    $exBlocks = [System.Collections.Generic.List[object]]::new()
                    continue
                }
                if ($null -eq $exTitle) {
                    if ($b.Kind -eq 'Text' -and $b.Text.Trim() -eq '') { continue }
                    throw (New-HelpPageError $full $b.Line "Content in '## EXAMPLES' must be under a '### Example N: title' heading.")
                }
                $exBlocks.Add($b)
            }
            . $finishExample

            # ---- PARAMETERS
            $parameters = [System.Collections.Generic.List[object]]::new()
            $pName = $null; $pLine = 0; $pBlocks = $null; $supportsCommon = $false; $inCommon = $false
            $finishParam = {
                if ($null -ne $pName) {
                    $yamls = @($pBlocks | Where-Object { $_.Kind -eq 'Code' -and $_.Lang -in 'yaml', 'yml' })
                    if ($yamls.Count -eq 0) { throw (New-HelpPageError $full $pLine "Parameter '-$pName' has no ``````yaml metadata block.") }
                    $desc = Join-Paragraphs (Get-MarkdownParagraphs @($pBlocks | Where-Object { -not ($_.Kind -eq 'Code' -and $_.Lang -in 'yaml', 'yml') }))
                    $variants = foreach ($y in $yamls) { ConvertFrom-ParameterYaml -Yaml $y -Path $full -ParameterName $pName }
                    $first = @($variants)[0]
                    $sets = [System.Collections.Generic.List[string]]::new()
                    foreach ($v in $variants) { foreach ($s in $v.ParameterSets) { if (-not $sets.Contains($s)) { $sets.Add($s) } } }
                    if ($sets.Count -gt 1 -and $sets.Contains('(All)')) {
                        throw (New-HelpPageError $full $pLine "Parameter '-$pName' lists '(All)' together with named parameter sets.")
                    }
                    $parameters.Add([pscustomobject]@{
                            Name                     = $pName
                            Type                     = $first.Type
                            Description              = $desc
                            Required                 = [bool]$first.Required
                            Position                 = $first.Position
                            DefaultValue             = $first.DefaultValue
                            AcceptPipelineInput      = $first.AcceptPipelineInput
                            AcceptWildcardCharacters = [bool]$first.AcceptWildcardCharacters
                            Aliases                  = [string[]]$first.Aliases
                            AcceptedValues           = [string[]]$first.AcceptedValues
                            ParameterSets            = [string[]]$sets
                            Variants                 = @($variants)
                            Line                     = $pLine
                        })
                }
            }
            foreach ($b in (& $get 'PARAMETERS')) {
                if ($b.Kind -eq 'Heading' -and $b.Level -eq 3) {
                    . $finishParam
                    $pName = $null; $inCommon = $false
                    if ($b.Text -match '^-([A-Za-z_][\w]*)$') {
                        $pName = $Matches[1]; $pLine = $b.Line
                        if ($parameters | Where-Object Name -eq $pName) { throw (New-HelpPageError $full $b.Line "Parameter '-$pName' is documented twice.") }
                        $pBlocks = [System.Collections.Generic.List[object]]::new()
                    }
                    elseif ($b.Text -match '^CommonParameters$') { $supportsCommon = $true; $inCommon = $true }
                    else { throw (New-HelpPageError $full $b.Line "Parameter heading '### $($b.Text)' must be '### -ParameterName' or '### CommonParameters'.") }
                    continue
                }
                if ($inCommon) { continue }
                if ($null -eq $pName) {
                    if ($b.Kind -eq 'Text' -and $b.Text.Trim() -eq '') { continue }
                    throw (New-HelpPageError $full $b.Line "Content in '## PARAMETERS' must be under a '### -ParameterName' heading.")
                }
                $pBlocks.Add($b)
            }
            . $finishParam

            # parameter sets named by parameters must exist in SYNTAX (when SYNTAX lists sets)
            $syntaxSets = @($syntax | Where-Object ParameterSetName -ne '__AllParameterSets' | ForEach-Object ParameterSetName)
            if ($syntaxSets.Count -gt 0) {
                foreach ($prm in $parameters) {
                    foreach ($s in $prm.ParameterSets) {
                        if ($s -ne '(All)' -and $s -notin $syntaxSets) {
                            throw (New-HelpPageError $full $prm.Line "Parameter '-$($prm.Name)' names parameter set '$s', which is not listed under '## SYNTAX' ($($syntaxSets -join ', ')).")
                        }
                    }
                }
            }

            # ---- INPUTS / OUTPUTS
            $typeSection = {
                param($key)
                $list = [System.Collections.Generic.List[object]]::new()
                $tName = $null; $tBlocks = $null; $tLine = 0
                $done = { if ($null -ne $tName) { $list.Add([pscustomobject]@{ TypeName = $tName; Description = (Join-Paragraphs (Get-MarkdownParagraphs $tBlocks)); Line = $tLine }) } }
                foreach ($b in (& $get $key)) {
                    if ($b.Kind -eq 'Heading' -and $b.Level -eq 3) {
                        . $done
                        $tName = ConvertTo-PlainInline $b.Text; $tLine = $b.Line
                        $tBlocks = [System.Collections.Generic.List[object]]::new()
                        continue
                    }
                    if ($null -eq $tName) {
                        if ($b.Kind -eq 'Text' -and $b.Text.Trim() -eq '') { continue }
                        throw (New-HelpPageError $full $b.Line "Content in '## $key' must be under a '### <TypeName>' heading (use '### None' when there is none).")
                    }
                    $tBlocks.Add($b)
                }
                . $done
                , $list.ToArray()
            }
            $inputs = & $typeSection 'INPUTS'
            $outputs = & $typeSection 'OUTPUTS'

            # ---- RELATED LINKS
            $links = [System.Collections.Generic.List[object]]::new()
            $online = if ($doc.FrontMatter.Contains('online version')) { [string]$doc.FrontMatter['online version'] } else { '' }
            foreach ($b in (& $get 'RELATED LINKS')) {
                if ($b.Kind -ne 'Text') {
                    if ($b.Kind -eq 'Heading') { throw (New-HelpPageError $full $b.Line "Unexpected heading in '## RELATED LINKS'.") }
                    continue
                }
                $t = ($b.Text.Trim() -replace '^([-*+]|\d+[.)])\s+', '').Trim()
                if ($t -eq '') { continue }
                if ($t -match '^\[([^\]]+)\]\(\s*<?([^)\s>]*)>?\s*\)\s*$') {
                    $links.Add([pscustomobject]@{ Text = $Matches[1].Trim(); Uri = $Matches[2] })
                }
                elseif ($t -match '^<?(https?://[^\s>]+)>?$') {
                    $links.Add([pscustomobject]@{ Text = $Matches[1]; Uri = $Matches[1] })
                }
                else {
                    $links.Add([pscustomobject]@{ Text = (ConvertTo-PlainInline $t); Uri = '' })
                }
            }

            [pscustomobject]@{
                PSTypeName               = 'SangoPS.HelpCommand'
                Name                     = $name
                Synopsis                 = $synopsis
                Description              = $description
                Syntax                   = $syntax.ToArray()
                Parameters               = $parameters.ToArray()
                SupportsCommonParameters = $supportsCommon
                Examples                 = $examples.ToArray()
                Inputs                   = $inputs
                Outputs                  = $outputs
                Notes                    = $notes
                RelatedLinks             = $links.ToArray()
                OnlineVersion            = $online
                ExternalHelpFile         = $(if ($doc.FrontMatter.Contains('external help file')) { [string]$doc.FrontMatter['external help file'] } else { '' })
                ModuleName               = $(if ($doc.FrontMatter.Contains('Module Name')) { [string]$doc.FrontMatter['Module Name'] } else { '' })
                Path                     = $full
                NameLine                 = $nameLine
            }
        }
    }
}

function ConvertFrom-ParameterYaml {
    param($Yaml, [string] $Path, [string] $ParameterName)
    $v = [ordered]@{
        Type = 'Object'; ParameterSets = @('(All)'); Aliases = @(); AcceptedValues = @()
        Required = $false; Position = 'Named'; DefaultValue = 'None'; AcceptPipelineInput = 'False'; AcceptWildcardCharacters = $false
    }
    $lines = $Yaml.Text -split "`n"
    for ($i = 0; $i -lt $lines.Count; $i++) {
        $raw = $lines[$i]
        $lineNo = $Yaml.Line + 1 + $i
        if ($raw.Trim() -eq '' -or $raw.TrimStart().StartsWith('#')) { continue }
        if ($raw -notmatch '^\s*([A-Za-z][A-Za-z ]*?)\s*:\s*(.*?)\s*$') {
            throw (New-HelpPageError $Path $lineNo "Parameter '-$ParameterName': cannot read yaml line '$raw' (expected 'Key: value').")
        }
        $key = $Matches[1].ToLowerInvariant(); $value = $Matches[2].Trim().Trim('"', "'")
        if (-not $script:YamlKeys.ContainsKey($key)) {
            throw (New-HelpPageError $Path $lineNo "Parameter '-$ParameterName': unknown yaml key '$($Matches[1])'. Known keys: Type, Parameter Sets, Aliases, Accepted values, Required, Position, Default value, Accept pipeline input, Accept wildcard characters.")
        }
        $prop = $script:YamlKeys[$key]
        if ($null -eq $prop) { continue }
        $list = { param($s) , [string[]]@($s -split ',' | ForEach-Object { $_.Trim() } | Where-Object { $_ -ne '' }) }
        $bool = {
            param($s, $k)
            if ($s -match '^(true|yes)$') { return $true }
            if ($s -match '^(false|no)$') { return $false }
            throw (New-HelpPageError $Path $lineNo "Parameter '-$ParameterName': '$k' must be True or False, not '$s'.")
        }
        switch ($prop) {
            'Type' { if ($value -eq '') { throw (New-HelpPageError $Path $lineNo "Parameter '-$ParameterName': 'Type' is empty.") }; $v.Type = $value }
            'ParameterSets' { $sets = & $list $value; $v.ParameterSets = if ($sets.Count) { $sets } else { @('(All)') } }
            'Aliases' { $v.Aliases = & $list $value }
            'AcceptedValues' { $v.AcceptedValues = & $list $value }
            'Required' { $v.Required = & $bool $value 'Required' }
            'Position' {
                if ($value -match '^\d+$') { $v.Position = $value }
                elseif ($value -match '^(named|)$') { $v.Position = 'Named' }
                else { throw (New-HelpPageError $Path $lineNo "Parameter '-$ParameterName': 'Position' must be a number or Named, not '$value'.") }
            }
            'DefaultValue' { $v.DefaultValue = if ($value -eq '') { 'None' } else { $value } }
            'AcceptPipelineInput' {
                if ($value -eq '') { $value = 'False' }
                if ($value -notmatch '^(False|True \((ByValue|ByPropertyName|ByValue, ByPropertyName|ByPropertyName, ByValue|ByRemainingArguments)\)|True)$') {
                    throw (New-HelpPageError $Path $lineNo "Parameter '-$ParameterName': 'Accept pipeline input' must be False, True (ByValue), True (ByPropertyName) or True (ByValue, ByPropertyName), not '$value'.")
                }
                $v.AcceptPipelineInput = $value
            }
            'AcceptWildcardCharacters' { $v.AcceptWildcardCharacters = & $bool $value 'Accept wildcard characters' }
        }
    }
    [pscustomobject]$v
}

#endregion

#region ConvertTo-SangoMaml

function Write-MamlParas {
    param([System.Xml.XmlWriter] $W, [string] $Text)
    $paras = @(if (-not [string]::IsNullOrWhiteSpace($Text)) { ($Text -replace "`r", '') -split "\n\s*\n" | Where-Object { $_.Trim() -ne '' } })
    if ($paras.Count -eq 0) { $W.WriteElementString('maml', 'para', $script:NsMaml, ''); return }
    foreach ($p in $paras) { $W.WriteElementString('maml', 'para', $script:NsMaml, $p.TrimEnd()) }
}

function Write-MamlDescription {
    param([System.Xml.XmlWriter] $W, [string] $Text)
    $W.WriteStartElement('maml', 'description', $script:NsMaml)
    Write-MamlParas $W $Text
    $W.WriteEndElement()
}

function Get-MamlParameterSetList {
    # Returns ordered list of @{ Name; Parameters = @(@{ Parameter; Variant }) }
    param($Command)
    $setNames = [System.Collections.Generic.List[string]]::new()
    foreach ($s in @($Command.Syntax)) { if ($s.ParameterSetName -ne '__AllParameterSets' -and -not $setNames.Contains($s.ParameterSetName)) { $setNames.Add($s.ParameterSetName) } }
    foreach ($p in @($Command.Parameters)) { foreach ($s in $p.ParameterSets) { if ($s -ne '(All)' -and -not $setNames.Contains($s)) { $setNames.Add($s) } } }
    if ($setNames.Count -eq 0) { $setNames.Add('__AllParameterSets') }
    foreach ($set in $setNames) {
        $members = foreach ($p in @($Command.Parameters)) {
            $variant = $null
            foreach ($v in @(Get-ParameterVariants $p)) {
                if ('(All)' -in $v.ParameterSets -or $set -in $v.ParameterSets -or $set -eq '__AllParameterSets') { $variant = $v; break }
            }
            if ($null -ne $variant) { [pscustomobject]@{ Parameter = $p; Variant = $variant } }
        }
        # positional first (by position), then required named, then optional named; doc order within groups
        $i = 0
        $ordered = @($members | ForEach-Object {
                $pos = if ($_.Variant.Position -match '^\d+$') { [int]$_.Variant.Position } else { [int]::MaxValue }
                $grp = if ($pos -ne [int]::MaxValue) { 0 } elseif ($_.Variant.Required) { 1 } else { 2 }
                [pscustomobject]@{ Item = $_; Group = $grp; Pos = $pos; Index = $i++ }
            } | Sort-Object Group, Pos, Index | ForEach-Object Item)
        [pscustomobject]@{ Name = $set; Members = $ordered }
    }
}

function Get-ParameterVariants {
    param($Parameter)
    if ($Parameter.PSObject.Properties['Variants'] -and @($Parameter.Variants).Count -gt 0) { return @($Parameter.Variants) }
    # a hand-built parameter object without Variants
    [pscustomobject]@{
        ParameterSets = if ($Parameter.PSObject.Properties['ParameterSets'] -and @($Parameter.ParameterSets).Count) { @($Parameter.ParameterSets) } else { @('(All)') }
        Required = [bool]$Parameter.Required; Position = [string]$Parameter.Position
    }
}

function Test-SwitchType {
    param([string] $Type)
    $Type -match '^(System\.Management\.Automation\.)?SwitchParameter$|^switch$'
}

function Write-MamlParameter {
    param([System.Xml.XmlWriter] $W, $Parameter, $Variant, [switch] $InSyntax)
    $p = $Parameter
    $isSwitch = Test-SwitchType $p.Type
    $position = if ([string]$Variant.Position -match '^\d+$') { [string]$Variant.Position } else { 'named' }
    $aliases = if (@($p.Aliases).Count) { @($p.Aliases) -join ', ' } else { 'none' }
    $W.WriteStartElement('command', 'parameter', $script:NsCommand)
    $W.WriteAttributeString('required', ([string][bool]$Variant.Required).ToLowerInvariant())
    $W.WriteAttributeString('variableLength', 'true')
    $W.WriteAttributeString('globbing', ([string][bool]$p.AcceptWildcardCharacters).ToLowerInvariant())
    $W.WriteAttributeString('pipelineInput', $(if ($p.AcceptPipelineInput) { [string]$p.AcceptPipelineInput } else { 'False' }))
    $W.WriteAttributeString('position', $position)
    $W.WriteAttributeString('aliases', $aliases)
    $W.WriteElementString('maml', 'name', $script:NsMaml, $p.Name)
    Write-MamlDescription $W $p.Description
    $accepted = @($p.AcceptedValues | Where-Object { $_ })
    if ($accepted.Count) {
        $W.WriteStartElement('command', 'parameterValueGroup', $script:NsCommand)
        foreach ($a in $accepted) {
            $W.WriteStartElement('command', 'parameterValue', $script:NsCommand)
            $W.WriteAttributeString('required', 'false')
            $W.WriteAttributeString('command', 'variableLength', $script:NsCommand, 'false')
            $W.WriteString($a)
            $W.WriteEndElement()
        }
        $W.WriteEndElement()
    }
    if (-not ($isSwitch -and $InSyntax)) {
        $W.WriteStartElement('command', 'parameterValue', $script:NsCommand)
        $W.WriteAttributeString('required', $(if ($isSwitch) { 'false' } else { 'true' }))
        $W.WriteAttributeString('variableLength', 'false')
        $W.WriteString($p.Type)
        $W.WriteEndElement()
    }
    $W.WriteStartElement('dev', 'type', $script:NsDev)
    $W.WriteElementString('maml', 'name', $script:NsMaml, $p.Type)
    $W.WriteElementString('maml', 'uri', $script:NsMaml, '')
    $W.WriteEndElement()
    $W.WriteElementString('dev', 'defaultValue', $script:NsDev, $(if ($p.DefaultValue) { [string]$p.DefaultValue } else { 'None' }))
    $W.WriteEndElement()
}

function ConvertTo-SangoMaml {
    <#
    .SYNOPSIS
        Renders parsed help pages (ConvertFrom-SangoHelpMarkdown output) as one MAML document.
    .OUTPUTS
        System.String - the XML text (utf-8 declaration, no BOM concerns: write it with UTF-8).
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipeline)]
        [object[]] $Command
    )
    begin { $all = [System.Collections.Generic.List[object]]::new() }
    process { foreach ($c in $Command) { $all.Add($c) } }
    end {
        $settings = [System.Xml.XmlWriterSettings]::new()
        $settings.Indent = $true
        $settings.IndentChars = '  '
        $settings.OmitXmlDeclaration = $true
        $settings.NewLineChars = "`n"
        $sb = [System.Text.StringBuilder]::new()
        $w = [System.Xml.XmlWriter]::Create($sb, $settings)
        try {
            $w.WriteStartElement('helpItems', $script:NsMsh)
            $w.WriteAttributeString('schema', 'maml')
            foreach ($c in ($all | Sort-Object Name)) {
                $w.WriteStartElement('command', 'command', $script:NsCommand)
                $w.WriteAttributeString('xmlns', 'maml', $null, $script:NsMaml)
                $w.WriteAttributeString('xmlns', 'command', $null, $script:NsCommand)
                $w.WriteAttributeString('xmlns', 'dev', $null, $script:NsDev)
                $w.WriteAttributeString('xmlns', 'MSHelp', $null, $script:NsMsHelp)

                # details
                $verb, $noun = if ($c.Name -match '^([^-]+)-(.+)$') { $Matches[1], $Matches[2] } else { '', $c.Name }
                $w.WriteStartElement('command', 'details', $script:NsCommand)
                $w.WriteElementString('command', 'name', $script:NsCommand, $c.Name)
                $w.WriteElementString('command', 'verb', $script:NsCommand, $verb)
                $w.WriteElementString('command', 'noun', $script:NsCommand, $noun)
                Write-MamlDescription $w $c.Synopsis
                $w.WriteEndElement()

                Write-MamlDescription $w $c.Description

                # syntax
                $w.WriteStartElement('command', 'syntax', $script:NsCommand)
                foreach ($set in @(Get-MamlParameterSetList $c)) {
                    $w.WriteStartElement('command', 'syntaxItem', $script:NsCommand)
                    $w.WriteElementString('maml', 'name', $script:NsMaml, $c.Name)
                    foreach ($m in @($set.Members)) { Write-MamlParameter $w $m.Parameter $m.Variant -InSyntax }
                    $w.WriteEndElement()
                }
                $w.WriteEndElement()

                # parameters
                $w.WriteStartElement('command', 'parameters', $script:NsCommand)
                foreach ($p in @($c.Parameters)) { Write-MamlParameter $w $p (@(Get-ParameterVariants $p)[0]) }
                $w.WriteEndElement()

                # inputs / outputs
                foreach ($io in @(
                        @{ Outer = 'inputTypes'; Inner = 'inputType'; Items = @($c.Inputs) },
                        @{ Outer = 'returnValues'; Inner = 'returnValue'; Items = @($c.Outputs) })) {
                    $w.WriteStartElement('command', $io.Outer, $script:NsCommand)
                    foreach ($t in $io.Items) {
                        if ($null -eq $t) { continue }
                        $w.WriteStartElement('command', $io.Inner, $script:NsCommand)
                        $w.WriteStartElement('dev', 'type', $script:NsDev)
                        $w.WriteElementString('maml', 'name', $script:NsMaml, $t.TypeName)
                        $w.WriteEndElement()
                        Write-MamlDescription $w $t.Description
                        $w.WriteEndElement()
                    }
                    $w.WriteEndElement()
                }

                # notes
                $w.WriteStartElement('maml', 'alertSet', $script:NsMaml)
                if (-not [string]::IsNullOrWhiteSpace($c.Notes)) {
                    $w.WriteStartElement('maml', 'alert', $script:NsMaml)
                    Write-MamlParas $w $c.Notes
                    $w.WriteEndElement()
                }
                $w.WriteEndElement()

                # examples
                $w.WriteStartElement('command', 'examples', $script:NsCommand)
                foreach ($e in @($c.Examples)) {
                    $title = $e.Title.Trim()
                    if ($title -notmatch '^-{3,}') { $title = "-------------------------- $title --------------------------" }
                    $w.WriteStartElement('command', 'example', $script:NsCommand)
                    $w.WriteElementString('maml', 'title', $script:NsMaml, $title)
                    $w.WriteElementString('dev', 'code', $script:NsDev, $e.Code)
                    $w.WriteStartElement('dev', 'remarks', $script:NsDev)
                    Write-MamlParas $w $e.Remarks
                    $w.WriteEndElement()
                    $w.WriteEndElement()
                }
                $w.WriteEndElement()

                # related links
                $w.WriteStartElement('command', 'relatedLinks', $script:NsCommand)
                $links = [System.Collections.Generic.List[object]]::new()
                if ($c.PSObject.Properties['OnlineVersion'] -and $c.OnlineVersion) { $links.Add([pscustomobject]@{ Text = 'Online Version:'; Uri = $c.OnlineVersion }) }
                foreach ($l in @($c.RelatedLinks)) { if ($null -ne $l) { $links.Add($l) } }
                foreach ($l in $links) {
                    $w.WriteStartElement('maml', 'navigationLink', $script:NsMaml)
                    $w.WriteElementString('maml', 'linkText', $script:NsMaml, $l.Text)
                    $uri = if ($l.Uri -match '^[a-z][a-z0-9+.-]*://') { $l.Uri } else { '' }
                    $w.WriteElementString('maml', 'uri', $script:NsMaml, $uri)
                    $w.WriteEndElement()
                }
                $w.WriteEndElement()

                $w.WriteEndElement()   # command:command
            }
            $w.WriteEndElement()   # helpItems
        }
        finally { $w.Dispose() }
        '<?xml version="1.0" encoding="utf-8"?>' + "`n" + $sb.ToString() + "`n"
    }
}

#endregion

#region ConvertTo-SangoAboutHelp

function Format-Wrapped {
    param([string] $Text, [int] $Indent, [int] $Width, [int] $HangingIndent = -1, [string] $FirstPrefix = '')
    if ($HangingIndent -lt 0) { $HangingIndent = $Indent }
    $out = [System.Collections.Generic.List[string]]::new()
    foreach ($hardLine in ($Text -split "`n")) {
        $words = @($hardLine -split '\s+' | Where-Object { $_ -ne '' })
        $line = (' ' * $Indent) + $FirstPrefix
        $lineHasWord = $false
        foreach ($word in $words) {
            if ($lineHasWord -and ($line.Length + 1 + $word.Length) -gt $Width) {
                $out.Add($line.TrimEnd())
                $line = (' ' * $HangingIndent) + $word
            }
            elseif ($lineHasWord) { $line += ' ' + $word }
            else { $line += $word }
            $lineHasWord = $true
        }
        $out.Add($line.TrimEnd())
        $FirstPrefix = ''; $Indent = $HangingIndent
    }
    $out
}

function ConvertTo-SangoAboutHelp {
    <#
    .SYNOPSIS
        Converts a markdown about page (docs/about_X.md) to the plain-text about_X.help.txt format.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)]
        [Alias('FullName')]
        [string] $Path,
        [ValidateRange(40, 500)]
        [int] $Width = 80
    )
    process {
        $full = (Resolve-Path -LiteralPath $Path -ErrorAction Stop).ProviderPath
        $doc = Read-MarkdownFile $full
        $blocks = Split-MarkdownBlocks -Lines $doc.Lines -FirstLine $doc.FirstLine -Path $full
        $out = [System.Collections.Generic.List[string]]::new()
        $headingAt = -1   # index of the last heading line: no blank line between a heading and its text
        $blank = { if ($out.Count -gt 0 -and $out[$out.Count - 1] -ne '' -and $headingAt -ne $out.Count - 1) { $out.Add('') } }
        $sawTopic = $false
        $pending = [System.Collections.Generic.List[object]]::new()
        $flushPending = {
            $prevKind = ''
            foreach ($it in (Get-MarkdownParagraphs $pending.ToArray())) {
                switch ($it.Kind) {
                    'Para' { . $blank; Format-Wrapped $it.Text 4 $Width | ForEach-Object { $out.Add($_) } }
                    'ListItem' {
                        $marker = if ($it.Marker -match '^\d') { $it.Marker } else { '-' }
                        $ind = 4 + 2 * $it.Level
                        if ($prevKind -ne 'ListItem') { . $blank }
                        Format-Wrapped $it.Text $ind $Width ($ind + $marker.Length + 1) "$marker " | ForEach-Object { $out.Add($_) }
                    }
                    'Code' {
                        . $blank
                        $codeLines = @($it.Text.Trim("`n") -split "`n")
                        foreach ($cl in $codeLines) { $out.Add($(if ($cl.Trim()) { '        ' + $cl.TrimEnd() } else { '' })) }
                    }
                    'Table' { . $blank; foreach ($r in (Format-TableRows $it.Rows)) { $out.Add('    ' + $r) } }
                }
                $prevKind = $it.Kind
            }
            $pending.Clear()
        }
        foreach ($b in $blocks) {
            if ($b.Kind -ne 'Heading') { $pending.Add($b); continue }
            . $flushPending
            $text = ConvertTo-PlainInline $b.Text
            $headingAt = -1
            . $blank
            switch ($b.Level) {
                1 { $out.Add('TOPIC'); $out.Add('    ' + $text); $sawTopic = $true }
                2 { $out.Add($text.ToUpperInvariant()) }
                3 { $out.Add('  ' + $text.ToUpperInvariant()) }
                default { $out.Add('    ' + $text) }
            }
            $headingAt = $out.Count - 1
        }
        . $flushPending
        if (-not $sawTopic) {
            $topic = [System.IO.Path]::GetFileNameWithoutExtension($full)
            $out.InsertRange(0, [string[]]@('TOPIC', "    $topic", ''))
        }
        while ($out.Count -gt 0 -and $out[$out.Count - 1] -eq '') { $out.RemoveAt($out.Count - 1) }
        while ($out.Count -gt 0 -and $out[0] -eq '') { $out.RemoveAt(0) }
        ($out -join [Environment]::NewLine) + [Environment]::NewLine
    }
}

#endregion

#region Build-SangoHelp

function Get-SangoHelpPageFile {
    # Cmdlet pages (front matter names 'external help file') and about pages in a docs folder.
    param([string] $DocsPath)
    foreach ($f in (Get-ChildItem -LiteralPath $DocsPath -Filter '*.md' -File | Sort-Object Name)) {
        if ($f.Name -like 'about_*.md') { [pscustomobject]@{ Kind = 'About'; File = $f; FrontMatter = $null }; continue }
        $front = (Read-MarkdownFile $f.FullName).FrontMatter
        if ($front.Contains('external help file')) { [pscustomobject]@{ Kind = 'Cmdlet'; File = $f; FrontMatter = $front } }
    }
}

function Build-SangoHelp {
    <#
    .SYNOPSIS
        Compiles docs/*.md into <OutputPath>/<external help file> (MAML) and about_*.help.txt.
        Throws "<file>:<line>: <message>" for a malformed page. Returns the written files.
    #>
    [CmdletBinding()]
    [OutputType([System.IO.FileInfo])]
    param(
        [Parameter(Mandatory)] [string] $DocsPath,
        [Parameter(Mandatory)] [string] $OutputPath,
        [Parameter(Mandatory)] [string] $ModuleName
    )
    $docs = (Resolve-Path -LiteralPath $DocsPath -ErrorAction Stop).ProviderPath
    $pages = @(Get-SangoHelpPageFile $docs)
    $commands = [System.Collections.Generic.List[object]]::new()
    foreach ($pg in ($pages | Where-Object Kind -eq 'Cmdlet')) {
        $cmd = ConvertFrom-SangoHelpMarkdown -Path $pg.File.FullName
        if ($cmd.ModuleName -and $cmd.ModuleName -ne $ModuleName) {
            throw (New-HelpPageError $cmd.Path 1 "Front matter says 'Module Name: $($cmd.ModuleName)', expected '$ModuleName'.")
        }
        if ($cmd.Name -ne $pg.File.BaseName) {
            throw (New-HelpPageError $cmd.Path $cmd.NameLine "Title '# $($cmd.Name)' does not match the file name '$($pg.File.Name)'.")
        }
        if ($commands | Where-Object Name -eq $cmd.Name) {
            throw (New-HelpPageError $cmd.Path $cmd.NameLine "Cmdlet '$($cmd.Name)' is documented by more than one page.")
        }
        $commands.Add($cmd)
    }
    $null = New-Item -ItemType Directory -Path $OutputPath -Force
    $outDir = (Resolve-Path -LiteralPath $OutputPath).ProviderPath
    $utf8 = [System.Text.UTF8Encoding]::new($false)
    foreach ($group in ($commands | Group-Object ExternalHelpFile)) {
        $fileName = if ($group.Name) { $group.Name } else { "$ModuleName.dll-Help.xml" }
        $xml = ConvertTo-SangoMaml -Command $group.Group
        try { $null = [xml]$xml } catch { throw "Generated MAML for '$fileName' is not well-formed XML: $($_.Exception.Message)" }
        $target = Join-Path $outDir $fileName
        [System.IO.File]::WriteAllText($target, $xml, $utf8)
        Write-Verbose "Wrote $target ($($group.Count) cmdlets)"
        Get-Item -LiteralPath $target
    }
    foreach ($pg in ($pages | Where-Object Kind -eq 'About')) {
        $text = ConvertTo-SangoAboutHelp -Path $pg.File.FullName
        $target = Join-Path $outDir ($pg.File.BaseName + '.help.txt')
        [System.IO.File]::WriteAllText($target, $text, $utf8)
        Write-Verbose "Wrote $target"
        Get-Item -LiteralPath $target
    }
}

#endregion

#region Test-SangoHelpCoverage

function New-CoverageProblem {
    param([string] $Command, [string] $Parameter, [string] $Kind, [string] $Message)
    $o = [pscustomobject]@{ PSTypeName = 'SangoPS.HelpProblem'; Command = $Command; Parameter = $Parameter; Kind = $Kind; Message = $Message }
    $o | Add-Member -MemberType ScriptMethod -Name ToString -Value { $this.Message } -Force -PassThru
}

function Test-SangoHelpCoverage {
    <#
    .SYNOPSIS
        Compares a module's exported cmdlets with the help pages in -DocsPath; returns one
        SangoPS.HelpProblem (Command, Parameter, Kind, Message; ToString() = Message) per problem.
        Kinds: MissingPage, MalformedPage, MissingSynopsis, Placeholder, UndocumentedParameter,
        MissingParameterDescription, UnknownParameter, TooFewExamples, OrphanPage.
        Common parameters are never required; WhatIf/Confirm are optional (documented or not).
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory, Position = 0)]
        [object] $Module,
        [string] $DocsPath = (Join-Path $PSScriptRoot '..' 'docs'),
        [int] $MinimumExamples = 2
    )
    $mod = if ($Module -is [System.Management.Automation.PSModuleInfo]) { $Module }
    else {
        $found = @(Get-Module -Name ([string]$Module))
        if ($found.Count -eq 0) { $found = @(Import-Module ([string]$Module) -PassThru -ErrorAction Stop) }
        $found[0]
    }
    $cmdlets = @($mod.ExportedCmdlets.Values | Sort-Object Name)

    $pagesByName = @{}
    if (Test-Path -LiteralPath $DocsPath) {
        foreach ($pg in @(Get-SangoHelpPageFile (Resolve-Path -LiteralPath $DocsPath).ProviderPath | Where-Object Kind -eq 'Cmdlet')) {
            try {
                $parsed = ConvertFrom-SangoHelpMarkdown -Path $pg.File.FullName -ErrorAction Stop
                $pagesByName[$parsed.Name] = $parsed
            }
            catch {
                New-CoverageProblem $pg.File.BaseName '' 'MalformedPage' "Help page '$($pg.File.Name)' cannot be parsed: $($_.Exception.Message)"
                $pagesByName[$pg.File.BaseName] = $false
            }
        }
    }

    $common = [System.Collections.Generic.HashSet[string]]::new([StringComparer]::OrdinalIgnoreCase)
    foreach ($n in [System.Management.Automation.PSCmdlet]::CommonParameters) { $null = $common.Add($n) }
    $optional = [System.Collections.Generic.HashSet[string]]::new([StringComparer]::OrdinalIgnoreCase)
    foreach ($n in [System.Management.Automation.PSCmdlet]::OptionalCommonParameters) { $null = $optional.Add($n) }

    foreach ($c in $cmdlets) {
        $name = $c.Name
        if (-not $pagesByName.ContainsKey($name)) {
            New-CoverageProblem $name '' 'MissingPage' "Cmdlet '$name' has no help page ($name.md) in '$DocsPath'."
            continue
        }
        $page = $pagesByName[$name]
        if ($page -eq $false) { continue }   # already reported as MalformedPage
        if ([string]::IsNullOrWhiteSpace($page.Synopsis)) {
            New-CoverageProblem $name '' 'MissingSynopsis' "Cmdlet '$name' has no synopsis."
        }
        elseif (Test-Placeholder $page.Synopsis) {
            New-CoverageProblem $name '' 'Placeholder' "The synopsis of '$name' is a placeholder: $($page.Synopsis)"
        }
        if (Test-Placeholder $page.Description) {
            New-CoverageProblem $name '' 'Placeholder' "The description of '$name' contains placeholder text."
        }
        $actual = @($c.Parameters.Keys | Where-Object { -not $common.Contains($_) })
        $documented = @($page.Parameters)
        foreach ($pn in $actual) {
            $doc = $documented | Where-Object { $_.Name -eq $pn } | Select-Object -First 1
            if ($null -eq $doc) {
                if ($optional.Contains($pn)) { continue }
                New-CoverageProblem $name $pn 'UndocumentedParameter' "Parameter '-$pn' of '$name' is not documented."
            }
            elseif ([string]::IsNullOrWhiteSpace($doc.Description) -or (Test-Placeholder $doc.Description)) {
                New-CoverageProblem $name $pn 'MissingParameterDescription' "Parameter '-$pn' of '$name' has no description."
            }
        }
        foreach ($d in $documented) {
            if ($actual -notcontains $d.Name -and -not $common.Contains($d.Name)) {
                New-CoverageProblem $name $d.Name 'UnknownParameter' "Help page of '$name' documents parameter '-$($d.Name)', which the cmdlet does not have."
            }
        }
        $exCount = @($page.Examples).Count
        if ($exCount -lt $MinimumExamples) {
            New-CoverageProblem $name '' 'TooFewExamples' "Help page of '$name' has $exCount example(s); at least $MinimumExamples are required."
        }
    }
    $exported = @($cmdlets | ForEach-Object Name)
    foreach ($pn in ($pagesByName.Keys | Sort-Object)) {
        if ($exported -notcontains $pn) {
            New-CoverageProblem $pn '' 'OrphanPage' "Help page '$pn' documents a cmdlet that module '$($mod.Name)' does not export."
        }
    }
}

#endregion

Export-ModuleMember -Function ConvertFrom-SangoHelpMarkdown, ConvertTo-SangoMaml, ConvertTo-SangoAboutHelp, Build-SangoHelp, Test-SangoHelpCoverage
