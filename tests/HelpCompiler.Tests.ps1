#Requires -Version 7.0
# Pester 6 tests for build/HelpCompiler.psm1 (markdown help -> MAML / about_*.help.txt).

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot ../build/HelpCompiler.psm1) -Force

    # A complete platyPS-style page.
    function Get-SamplePage {
        param([string] $HelpFile = 'SangoPS.dll-Help.xml', [string] $ModuleName = 'SangoPS')
        @"
---
external help file: $HelpFile
Module Name: $ModuleName
online version: https://example.org/sango/publish
schema: 2.0.0
---

# Publish-SangoMessage

## SYNOPSIS
Publishes **messages** to a topic.

## SYNTAX

### Default (Default)
``````
Publish-SangoMessage [-Topic] <String> [-Body <String[]>] [-Priority <Int32>] [-Persist] [<CommonParameters>]
``````

### Raw
``````
Publish-SangoMessage [-Topic] <String> -Bytes <Byte[]> [-Persist] [<CommonParameters>]
``````

## DESCRIPTION
The ``Publish-SangoMessage`` cmdlet sends one message per input object
to a [Sango](https://example.org/sango) topic.

Delivery is *at least once*:

- messages may be repeated
- order is kept per topic

``````powershell
Publish-SangoMessage -Topic t -Body 'x & <y>'
``````

## EXAMPLES

### Example 1: Publish lines of a file
``````powershell
Get-Content lines.txt | Publish-SangoMessage -Topic t
``````

Each line becomes one message.

Lines are sent in order.

### Example 2: Raw bytes
Bytes are sent unchanged.

``````powershell
`$b = [byte[]](1, 2, 3)
``````

``````powershell
Publish-SangoMessage -Topic t -Bytes `$b
``````

## PARAMETERS

### -Topic
The topic to publish to.

``````yaml
Type: String
Parameter Sets: (All)
Aliases: T, Queue

Required: True
Position: 0
Default value: None
Accept pipeline input: True (ByPropertyName)
Accept wildcard characters: False
``````

### -Body
The message bodies.
Several lines.

``````yaml
Type: String[]
Parameter Sets: Default
Aliases:

Required: False
Position: Named
Default value: None
Accept pipeline input: True (ByValue)
Accept wildcard characters: True
``````

### -Priority
Message priority.

``````yaml
Type: Int32
Parameter Sets: Default
Aliases:
Accepted values: 0, 1, 2

Required: False
Position: Named
Default value: 1
Accept pipeline input: False
Accept wildcard characters: False
``````

### -Bytes
Raw payload.

``````yaml
Type: Byte[]
Parameter Sets: Raw
Aliases:

Required: True
Position: Named
Default value: None
Accept pipeline input: False
Accept wildcard characters: False
``````

### -Persist
Stores the message durably.

``````yaml
Type: SwitchParameter
Parameter Sets: (All)
Aliases:

Required: False
Position: Named
Default value: False
Accept pipeline input: False
Accept wildcard characters: False
``````

### CommonParameters
This cmdlet supports the common parameters: -Debug, -ErrorAction, -ErrorVariable, -InformationAction, -InformationVariable, -OutVariable, -OutBuffer, -PipelineVariable, -Verbose, -WarningAction, and -WarningVariable. For more information, see [about_CommonParameters](http://go.microsoft.com/fwlink/?LinkID=113216).

## INPUTS

### System.String
Message bodies.

### System.Byte[]

## OUTPUTS

### SangoPS.PublishResult
One result per message.

## NOTES
Requires a session from ``Connect-Sango``.

Second note.

## RELATED LINKS

[Connect-Sango](Connect-Sango.md)

[Sango protocol](https://example.org/protocol)
"@
    }

    function Write-Page {
        param([string] $Directory, [string] $Name, [string] $Text)
        $null = New-Item -ItemType Directory -Path $Directory -Force
        $p = Join-Path $Directory "$Name.md"
        Set-Content -LiteralPath $p -Value $Text -Encoding utf8NoBOM
        $p
    }

    # Minimal valid page for cmdlet $Name with the given parameters (names) and example count.
    function Get-MinimalPage {
        param(
            [string] $Name, [string[]] $Parameters = @(), [int] $Examples = 2,
            [string] $HelpFile = 'SangoPS.dll-Help.xml', [string] $ModuleName = 'SangoPS', [string] $Synopsis = "Does $Name things."
        )
        $sb = [System.Text.StringBuilder]::new()
        $null = $sb.AppendLine("---`nexternal help file: $HelpFile`nModule Name: $ModuleName`nonline version:`nschema: 2.0.0`n---`n")
        $null = $sb.AppendLine("# $Name`n`n## SYNOPSIS`n$Synopsis`n`n## DESCRIPTION`nLonger text about $Name.`n`n## EXAMPLES`n")
        for ($i = 1; $i -le $Examples; $i++) { $null = $sb.AppendLine("### Example ${i}: Use $Name`n``````powershell`n$Name # $i`n```````n`nRemark $i.`n") }
        $null = $sb.AppendLine("## PARAMETERS`n")
        foreach ($p in $Parameters) {
            $null = $sb.AppendLine("### -$p`nThe $p parameter.`n`n``````yaml`nType: String`nParameter Sets: (All)`nAliases:`n`nRequired: False`nPosition: Named`nDefault value: None`nAccept pipeline input: False`nAccept wildcard characters: False`n```````n")
        }
        $null = $sb.AppendLine("### CommonParameters`nThis cmdlet supports the common parameters.`n`n## INPUTS`n`n### None`n`n## OUTPUTS`n`n### System.Object`n`n## NOTES`n`n## RELATED LINKS")
        $sb.ToString()
    }
}

Describe 'ConvertFrom-SangoHelpMarkdown' {
    BeforeAll {
        $path = Write-Page (Join-Path $TestDrive 'parse') 'Publish-SangoMessage' (Get-SamplePage)
        $cmd = ConvertFrom-SangoHelpMarkdown -Path $path
    }

    It 'reads the name, synopsis and front matter' {
        $cmd.Name | Should -Be 'Publish-SangoMessage'
        $cmd.Synopsis | Should -Be 'Publishes messages to a topic.'
        $cmd.ExternalHelpFile | Should -Be 'SangoPS.dll-Help.xml'
        $cmd.ModuleName | Should -Be 'SangoPS'
        $cmd.OnlineVersion | Should -Be 'https://example.org/sango/publish'
    }

    It 'reads the description as plain-text paragraphs' {
        $paras = $cmd.Description -split "`n`n"
        $paras[0] | Should -Be 'The Publish-SangoMessage cmdlet sends one message per input object to a Sango (https://example.org/sango) topic.'
        $paras[1] | Should -Be 'Delivery is at least once:'
        $paras[2] | Should -Be "- messages may be repeated`n- order is kept per topic"
        $paras[3] | Should -Be "    Publish-SangoMessage -Topic t -Body 'x & <y>'"
        $cmd.Description | Should -Not -Match '\*|``'
    }

    It 'reads the syntax parameter sets' {
        $cmd.Syntax.ParameterSetName | Should -Be @('Default', 'Raw')
        $cmd.Syntax[0].IsDefault | Should -BeTrue
        $cmd.Syntax[1].IsDefault | Should -BeFalse
        $cmd.Syntax[1].Text | Should -BeLike 'Publish-SangoMessage `[-Topic`] <String> -Bytes*'
    }

    It 'reads examples with title, code and remarks' {
        $cmd.Examples.Count | Should -Be 2
        $cmd.Examples[0].Title | Should -Be 'Example 1: Publish lines of a file'
        $cmd.Examples[0].Code | Should -Be 'Get-Content lines.txt | Publish-SangoMessage -Topic t'
        $cmd.Examples[0].Remarks | Should -Be "Each line becomes one message.`n`nLines are sent in order."
    }

    It 'joins several code blocks of one example and keeps text before the code as remarks' {
        $cmd.Examples[1].Code | Should -Be "`$b = [byte[]](1, 2, 3)`n`nPublish-SangoMessage -Topic t -Bytes `$b"
        $cmd.Examples[1].Remarks | Should -Be 'Bytes are sent unchanged.'
    }

    It 'reads every parameter, excluding CommonParameters' {
        $cmd.Parameters.Name | Should -Be @('Topic', 'Body', 'Priority', 'Bytes', 'Persist')
        $cmd.SupportsCommonParameters | Should -BeTrue
    }

    It 'reads the yaml metadata of a parameter' {
        $topic = $cmd.Parameters | Where-Object Name -eq 'Topic'
        $topic.Type | Should -Be 'String'
        $topic.Description | Should -Be 'The topic to publish to.'
        $topic.Required | Should -BeTrue
        $topic.Position | Should -Be '0'
        $topic.DefaultValue | Should -Be 'None'
        $topic.AcceptPipelineInput | Should -Be 'True (ByPropertyName)'
        $topic.AcceptWildcardCharacters | Should -BeFalse
        $topic.Aliases | Should -Be @('T', 'Queue')
        $topic.ParameterSets | Should -Be @('(All)')

        $body = $cmd.Parameters | Where-Object Name -eq 'Body'
        $body.Type | Should -Be 'String[]'
        $body.Description | Should -Be 'The message bodies. Several lines.'
        $body.Required | Should -BeFalse
        $body.Position | Should -Be 'Named'
        $body.AcceptPipelineInput | Should -Be 'True (ByValue)'
        $body.AcceptWildcardCharacters | Should -BeTrue
        $body.Aliases.Count | Should -Be 0
        $body.ParameterSets | Should -Be @('Default')

        $prio = $cmd.Parameters | Where-Object Name -eq 'Priority'
        $prio.AcceptedValues | Should -Be @('0', '1', '2')
        $prio.DefaultValue | Should -Be '1'
    }

    It 'reads inputs and outputs' {
        $cmd.Inputs.TypeName | Should -Be @('System.String', 'System.Byte[]')
        $cmd.Inputs[0].Description | Should -Be 'Message bodies.'
        $cmd.Inputs[1].Description | Should -Be ''
        $cmd.Outputs.TypeName | Should -Be 'SangoPS.PublishResult'
        $cmd.Outputs[0].Description | Should -Be 'One result per message.'
    }

    It 'reads notes and related links' {
        $cmd.Notes | Should -Be "Requires a session from Connect-Sango.`n`nSecond note."
        $cmd.RelatedLinks.Count | Should -Be 2
        $cmd.RelatedLinks[0].Text | Should -Be 'Connect-Sango'
        $cmd.RelatedLinks[0].Uri | Should -Be 'Connect-Sango.md'
        $cmd.RelatedLinks[1].Uri | Should -Be 'https://example.org/protocol'
    }

    It 'accepts a page without SYNTAX, EXAMPLES or PARAMETERS sections and pipeline input' {
        $p = Write-Page (Join-Path $TestDrive 'parse') 'Get-Tiny' "# Get-Tiny`n`n## SYNOPSIS`nTiny.`n"
        $c = Get-Item $p | ConvertFrom-SangoHelpMarkdown
        $c.Name | Should -Be 'Get-Tiny'
        $c.Syntax.Count | Should -Be 0
        $c.Parameters.Count | Should -Be 0
        $c.Examples.Count | Should -Be 0
        $c.RelatedLinks.Count | Should -Be 0
    }

    It 'supports one yaml block per parameter set' {
        $page = @'
# Get-Multi
## SYNOPSIS
Multi.
## SYNTAX
### A (Default)
```
Get-Multi [-Name] <String>
```
### B
```
Get-Multi -Name <String> -Id <Int32>
```
## PARAMETERS
### -Name
The name.
```yaml
Type: String
Parameter Sets: A
Aliases:

Required: True
Position: 0
Default value: None
Accept pipeline input: False
Accept wildcard characters: False
```

```yaml
Type: String
Parameter Sets: B
Aliases:

Required: False
Position: Named
Default value: None
Accept pipeline input: False
Accept wildcard characters: False
```
### -Id
Id.
```yaml
Type: Int32
Parameter Sets: B
Required: True
```
'@
        $c = ConvertFrom-SangoHelpMarkdown (Write-Page (Join-Path $TestDrive 'parse') 'Get-Multi' $page)
        $name = $c.Parameters | Where-Object Name -eq 'Name'
        $name.ParameterSets | Should -Be @('A', 'B')
        $name.Variants.Count | Should -Be 2
        $name.Variants[1].Required | Should -BeFalse
        $name.Description | Should -Be 'The name.'
        ($c.Parameters | Where-Object Name -eq 'Id').Position | Should -Be 'Named'   # defaults for omitted keys

        $xml = [xml](ConvertTo-SangoMaml -Command $c)
        $ns = @{ command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'; maml = 'http://schemas.microsoft.com/maml/2004/10' }
        $items = @(Select-Xml -Xml $xml -XPath '//command:syntaxItem' -Namespace $ns)
        $items.Count | Should -Be 2
        $b = $items[1].Node.parameter | Where-Object { $_.name -eq 'Name' }
        $b.required | Should -Be 'false'
        $b.position | Should -Be 'named'
        ($items[0].Node.parameter | Where-Object { $_.name -eq 'Name' }).position | Should -Be '0'
    }
}

Describe 'Malformed pages' {
    BeforeAll {
        $head = "---`nexternal help file: SangoPS.dll-Help.xml`nModule Name: SangoPS`nschema: 2.0.0`n---`n"
        $yaml = "``````yaml`nType: String`nParameter Sets: (All)`nRequired: False`nPosition: Named`n``````"
    }

    It 'reports <Case> with the file and line' -ForEach @(
        @{ Case = 'a missing SYNOPSIS'; Body = "# Get-Bad`n`n## DESCRIPTION`nText."; Line = '# Get-Bad'; Message = 'Missing ''## SYNOPSIS''' }
        @{ Case = 'an empty SYNOPSIS'; Body = "# Get-Bad`n`n## SYNOPSIS`n`n## DESCRIPTION`nText."; Line = '## SYNOPSIS'; Message = 'SYNOPSIS.*is empty' }
        @{ Case = 'a parameter without yaml block'; Body = "# Get-Bad`n## SYNOPSIS`nS.`n## PARAMETERS`n### -Name`nThe name.`n`n### -Other`nOther.`n{YAML}"; Line = '### -Name'; Message = "Parameter '-Name' has no ``````yaml" }
        @{ Case = 'an example without code'; Body = "# Get-Bad`n## SYNOPSIS`nS.`n## EXAMPLES`n### Example 1: fine`n``````powershell`nGet-Bad`n```````n### Example 2: no code`nJust words.`n"; Line = '### Example 2: no code'; Message = "Example 'Example 2: no code' has no code block" }
        @{ Case = 'an unknown yaml key'; Body = "# Get-Bad`n## SYNOPSIS`nS.`n## PARAMETERS`n### -Name`nN.`n``````yaml`nType: String`nRequird: True`n``````"; Line = 'Requird: True'; Message = "unknown yaml key 'Requird'" }
        @{ Case = 'an invalid Required value'; Body = "# Get-Bad`n## SYNOPSIS`nS.`n## PARAMETERS`n### -Name`nN.`n``````yaml`nType: String`nRequired: Maybe`n``````"; Line = 'Required: Maybe'; Message = "'Required' must be True or False" }
        @{ Case = 'an unclosed code block'; Body = "# Get-Bad`n## SYNOPSIS`nS.`n## EXAMPLES`n### Example 1`n``````powershell`nGet-Bad`n"; Line = '```powershell'; Message = 'never closed' }
        @{ Case = 'an unknown section'; Body = "# Get-Bad`n## SYNOPSIS`nS.`n## PARAMETER`n"; Line = '## PARAMETER'; Message = "Unknown section '## PARAMETER'" }
        @{ Case = 'a bad parameter heading'; Body = "# Get-Bad`n## SYNOPSIS`nS.`n## PARAMETERS`n### Name`nN.`n"; Line = '### Name'; Message = "must be '### -ParameterName'" }
        @{ Case = 'a parameter set missing from SYNTAX'; Body = "# Get-Bad`n## SYNOPSIS`nS.`n## SYNTAX`n### A (Default)`n```````nGet-Bad`n```````n## PARAMETERS`n### -Name`nN.`n``````yaml`nType: String`nParameter Sets: Zed`n``````"; Line = '### -Name'; Message = "parameter set 'Zed'" }
        @{ Case = 'a missing title'; Body = "## SYNOPSIS`nS."; Line = '## SYNOPSIS'; Message = "before the '# <CmdletName>' title" }
    ) {
        $text = $head + $Body.Replace('{YAML}', $yaml)
        $file = Write-Page (Join-Path $TestDrive 'bad') 'Get-Bad' $text
        $lines = @(Get-Content -LiteralPath $file)
        $expectedLine = [array]::IndexOf($lines, $Line) + 1
        $expectedLine | Should -BeGreaterThan 0 -Because 'the test case names an existing line'

        $err = { ConvertFrom-SangoHelpMarkdown -Path $file } | Should -Throw -PassThru
        $err.Exception.Message | Should -BeLike "$file`:$expectedLine`: *"
        $err.Exception.Message | Should -Match $Message
        $err.FullyQualifiedErrorId | Should -BeLike 'SangoHelpMalformedPage*'
    }

    It 'makes Build-SangoHelp throw with the file and line' {
        $docs = Join-Path $TestDrive 'baddocs'
        $file = Write-Page $docs 'Get-Bad' ($head + "# Get-Bad`n`n## SYNOPSIS`nS.`n`n## PARAMETERS`n`n### -Name`nNo yaml here.`n")
        { Build-SangoHelp -DocsPath $docs -OutputPath (Join-Path $TestDrive 'badout') -ModuleName SangoPS } |
            Should -Throw -ExpectedMessage "*Get-Bad.md:13: Parameter '-Name' has no *yaml metadata block."
    }

    It 'makes Build-SangoHelp throw when the title does not match the file name' {
        $docs = Join-Path $TestDrive 'baddocs2'
        $null = Write-Page $docs 'Get-Right' (Get-MinimalPage -Name 'Get-Wrong')
        { Build-SangoHelp -DocsPath $docs -OutputPath (Join-Path $TestDrive 'badout2') -ModuleName SangoPS } |
            Should -Throw -ExpectedMessage "*Get-Right.md:8: Title '# Get-Wrong' does not match the file name*"
    }

    It 'makes Build-SangoHelp throw when the page belongs to another module' {
        $docs = Join-Path $TestDrive 'baddocs3'
        $null = Write-Page $docs 'Get-Other' (Get-MinimalPage -Name 'Get-Other' -ModuleName 'OtherModule')
        { Build-SangoHelp -DocsPath $docs -OutputPath (Join-Path $TestDrive 'badout3') -ModuleName SangoPS } |
            Should -Throw -ExpectedMessage "*Get-Other.md:1: Front matter says 'Module Name: OtherModule', expected 'SangoPS'."
    }
}

Describe 'ConvertTo-SangoMaml' {
    BeforeAll {
        $cmd = ConvertFrom-SangoHelpMarkdown (Write-Page (Join-Path $TestDrive 'maml') 'Publish-SangoMessage' (Get-SamplePage))
        $text = ConvertTo-SangoMaml -Command $cmd
        $xml = [xml]$text
        $ns = @{
            msh     = 'http://msh'
            maml    = 'http://schemas.microsoft.com/maml/2004/10'
            command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
            dev     = 'http://schemas.microsoft.com/maml/dev/2004/10'
        }
        function Get-Node([string] $XPath) { @(Select-Xml -Xml $xml -XPath $XPath -Namespace $ns | ForEach-Object Node) }
        function Get-Param([string] $Name) { Get-Node "/msh:helpItems/command:command/command:parameters/command:parameter[maml:name='$Name']" | Select-Object -First 1 }
    }

    It 'is well-formed XML with the MAML root and namespaces' {
        $text | Should -BeLike '<?xml version="1.0" encoding="utf-8"?>*'
        $xml.DocumentElement.LocalName | Should -Be 'helpItems'
        $xml.DocumentElement.NamespaceURI | Should -Be 'http://msh'
        $xml.DocumentElement.GetAttribute('schema') | Should -Be 'maml'
        $c = Get-Node '/msh:helpItems/command:command' | Select-Object -First 1
        $c.GetAttribute('xmlns:maml') | Should -Be $ns.maml
        $c.GetAttribute('xmlns:command') | Should -Be $ns.command
        $c.GetAttribute('xmlns:dev') | Should -Be $ns.dev
    }

    It 'writes details, synopsis and description' {
        (Get-Node '//command:details/command:name').InnerText | Should -Be 'Publish-SangoMessage'
        (Get-Node '//command:details/command:verb').InnerText | Should -Be 'Publish'
        (Get-Node '//command:details/command:noun').InnerText | Should -Be 'SangoMessage'
        (Get-Node '//command:details/maml:description/maml:para').InnerText | Should -Be 'Publishes messages to a topic.'
        $paras = Get-Node '/msh:helpItems/command:command/maml:description/maml:para'
        $paras.Count | Should -Be 4
        $paras[3].InnerText | Should -Be "    Publish-SangoMessage -Topic t -Body 'x & <y>'"
    }

    It 'writes one syntax item per parameter set with its parameters, positional first' {
        $items = Get-Node '//command:syntax/command:syntaxItem'
        $items.Count | Should -Be 2
        @($items[0].parameter.name) | Should -Be @('Topic', 'Body', 'Priority', 'Persist')
        @($items[1].parameter.name) | Should -Be @('Topic', 'Bytes', 'Persist')
        ($items[1].parameter | Where-Object name -eq 'Bytes').required | Should -Be 'true'
        $items[0].name | Should -Be 'Publish-SangoMessage'
    }

    It 'omits the value of switch parameters in syntax but keeps it in the parameter list' {
        $items = Get-Node '//command:syntax/command:syntaxItem'
        $switch = $items[0].parameter | Where-Object name -eq 'Persist'
        @($switch.ChildNodes | Where-Object LocalName -eq 'parameterValue').Count | Should -Be 0
        (Get-Param 'Persist').parameterValue.'#text' | Should -Be 'SwitchParameter'
        (Get-Param 'Persist').parameterValue.required | Should -Be 'false'
    }

    It 'writes parameter attributes: <Name>' -ForEach @(
        @{ Name = 'Topic'; Required = 'true'; Position = '0'; Pipeline = 'True (ByPropertyName)'; Globbing = 'false'; Aliases = 'T, Queue'; Type = 'String'; Default = 'None' }
        @{ Name = 'Body'; Required = 'false'; Position = 'named'; Pipeline = 'True (ByValue)'; Globbing = 'true'; Aliases = 'none'; Type = 'String[]'; Default = 'None' }
        @{ Name = 'Priority'; Required = 'false'; Position = 'named'; Pipeline = 'False'; Globbing = 'false'; Aliases = 'none'; Type = 'Int32'; Default = '1' }
    ) {
        $p = Get-Param $Name
        $p | Should -Not -BeNullOrEmpty
        $p.required | Should -Be $Required
        $p.position | Should -Be $Position
        $p.pipelineInput | Should -Be $Pipeline
        $p.globbing | Should -Be $Globbing
        $p.aliases | Should -Be $Aliases
        $p.type.name | Should -Be $Type
        $p.defaultValue | Should -Be $Default
        $p.description.para | Should -Not -BeNullOrEmpty
    }

    It 'writes accepted values as a parameterValueGroup' {
        @((Get-Param 'Priority').parameterValueGroup.parameterValue | ForEach-Object '#text') | Should -Be @('0', '1', '2')
    }

    It 'writes inputs, outputs and notes' {
        @(Get-Node '//command:inputTypes/command:inputType/dev:type/maml:name' | ForEach-Object InnerText) | Should -Be @('System.String', 'System.Byte[]')
        (Get-Node '//command:returnValues/command:returnValue/dev:type/maml:name').InnerText | Should -Be 'SangoPS.PublishResult'
        (Get-Node '//command:returnValues/command:returnValue/maml:description/maml:para').InnerText | Should -Be 'One result per message.'
        @(Get-Node '//maml:alertSet/maml:alert/maml:para' | ForEach-Object InnerText) | Should -Be @('Requires a session from Connect-Sango.', 'Second note.')
    }

    It 'writes examples with title, code and remarks' {
        $ex = Get-Node '//command:examples/command:example'
        $ex.Count | Should -Be 2
        $ex[0].title | Should -Be '-------------------------- Example 1: Publish lines of a file --------------------------'
        $ex[0].code | Should -Be 'Get-Content lines.txt | Publish-SangoMessage -Topic t'
        @($ex[0].remarks.para) | Should -Be @('Each line becomes one message.', 'Lines are sent in order.')
    }

    It 'writes related links, online version first, without relative uris' {
        $links = Get-Node '//command:relatedLinks/maml:navigationLink'
        @($links | ForEach-Object linkText) | Should -Be @('Online Version:', 'Connect-Sango', 'Sango protocol')
        $links[0].uri | Should -Be 'https://example.org/sango/publish'
        $links[1].uri | Should -BeNullOrEmpty
        $links[2].uri | Should -Be 'https://example.org/protocol'
    }

    It 'writes several commands into one document, sorted by name' {
        $other = ConvertFrom-SangoHelpMarkdown (Write-Page (Join-Path $TestDrive 'maml') 'Connect-Sango' (Get-MinimalPage -Name 'Connect-Sango' -Parameters Endpoint))
        $doc = [xml](ConvertTo-SangoMaml -Command $cmd, $other)
        @($doc.helpItems.command.details.name) | Should -Be @('Connect-Sango', 'Publish-SangoMessage')
    }
}

Describe 'ConvertTo-SangoAboutHelp' {
    BeforeAll {
        $md = @'
# about_SangoPS

## Short description
Explains **SangoPS**.

## Long description
The `SangoPS` module connects PowerShell to a Sango broker. This sentence is long enough that it has to be wrapped at eighty columns. See [Connect-Sango](Connect-Sango.md) and [the site](https://example.org).

### Sessions
- A *session* is created by `Connect-Sango` and is passed to the other cmdlets of the module explicitly.
- Second item

```powershell
$s = Connect-Sango -Endpoint localhost
# a comment, not a heading
Publish-SangoMessage -Session $s -Topic t
```

| Name | Meaning |
|------|---------|
| `a`  | Alpha |
| bb   | Beta value |

<!-- an HTML comment -->

## See also
- [Connect-Sango](Connect-Sango.md)
'@
        $p = Join-Path $TestDrive 'about_SangoPS.md'
        Set-Content -LiteralPath $p -Value $md -Encoding utf8NoBOM
        $text = ConvertTo-SangoAboutHelp -Path $p
        $lines = $text -split '\r?\n'
    }

    It 'starts with the TOPIC section' {
        $lines[0] | Should -Be 'TOPIC'
        $lines[1] | Should -Be '    about_SangoPS'
    }

    It 'turns headings into uppercase sections followed by 4-space indented text' {
        $i = [array]::IndexOf($lines, 'SHORT DESCRIPTION')
        $i | Should -BeGreaterThan 0
        $lines[$i + 1] | Should -Be '    Explains SangoPS.'
        $lines | Should -Contain 'LONG DESCRIPTION'
        $lines | Should -Contain '  SESSIONS'
        $lines | Should -Contain 'SEE ALSO'
    }

    It 'wraps text at 80 columns' {
        $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 80 }
        $long = $lines | Where-Object { $_ -like '    The SangoPS module connects*' }
        $long | Should -Not -BeNullOrEmpty
        ($lines -join ' ') -replace '\s+', ' ' | Should -Match 'has to be wrapped at eighty columns\. See Connect-Sango and the site \(https://example\.org\)\.'
    }

    It 'keeps list markers with a hanging indent' {
        $i = [array]::IndexOf($lines, '    - A session is created by Connect-Sango and is passed to the other cmdlets')
        $i | Should -BeGreaterThan 0
        $lines[$i + 1] | Should -Be '      of the module explicitly.'
        $lines[$i + 2] | Should -Be '    - Second item'
    }

    It 'indents code blocks verbatim' {
        $lines | Should -Contain '        $s = Connect-Sango -Endpoint localhost'
        $lines | Should -Contain '        # a comment, not a heading'
    }

    It 'renders tables as aligned columns' {
        $lines | Should -Contain '    Name  Meaning'
        $lines | Should -Contain '    a     Alpha'
    }

    It 'leaves no markdown syntax behind' {
        $text | Should -Not -Match '\*\*|`|\]\(|^#|\|'
        $text | Should -Not -Match 'HTML comment'
        $lines | Where-Object { $_ -match '^\s*#' -and $_ -notmatch 'a comment, not a heading' } | Should -BeNullOrEmpty
    }
}

Describe 'Build-SangoHelp' {
    BeforeAll {
        $docs = Join-Path $TestDrive 'docs'
        $null = Write-Page $docs 'Publish-SangoMessage' (Get-SamplePage)
        $null = Write-Page $docs 'Connect-Sango' (Get-MinimalPage -Name 'Connect-Sango' -Parameters Endpoint)
        $null = Write-Page $docs 'README' "# Docs`n`nNot a help page."
        $null = Write-Page $docs 'about_SangoPS' "# about_SangoPS`n`n## Short description`nAbout it."
        $out = Join-Path $TestDrive 'out/SangoPS/en-US'
        $files = Build-SangoHelp -DocsPath $docs -OutputPath $out -ModuleName SangoPS
    }

    It 'writes one MAML file and one about file' {
        @($files.Name | Sort-Object) | Should -Be @('about_SangoPS.help.txt', 'SangoPS.dll-Help.xml')
        Join-Path $out 'SangoPS.dll-Help.xml' | Should -Exist
        Join-Path $out 'about_SangoPS.help.txt' | Should -Exist
    }

    It 'puts every cmdlet page into the MAML file and skips other markdown' {
        $doc = [xml](Get-Content -Raw (Join-Path $out 'SangoPS.dll-Help.xml'))
        @($doc.helpItems.command.details.name) | Should -Be @('Connect-Sango', 'Publish-SangoMessage')
    }

    It 'writes UTF-8 without BOM' {
        $bytes = [System.IO.File]::ReadAllBytes((Join-Path $out 'SangoPS.dll-Help.xml'))
        $bytes[0] | Should -Be ([byte][char]'<')
    }

    It 'writes the about topic text' {
        $t = Get-Content -Raw (Join-Path $out 'about_SangoPS.help.txt')
        $t | Should -Match '^TOPIC\r?\n    about_SangoPS'
        $t | Should -Match 'SHORT DESCRIPTION\r?\n    About it\.'
    }
}

Describe 'Compiled help seen by Get-Help, and Test-SangoHelpCoverage' {
    BeforeAll {
        # A throwaway binary module, compiled once. Outside TestDrive because the loaded
        # assembly cannot be deleted on Windows.
        $asmName = 'HcDemo' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $modDir = Join-Path ([System.IO.Path]::GetTempPath()) "SangoHelpTests_$asmName"
        $null = New-Item -ItemType Directory -Path $modDir -Force
        $dll = Join-Path $modDir "$asmName.dll"
        Add-Type -OutputAssembly $dll -OutputType Library -TypeDefinition @'
using System.Management.Automation;
namespace HcDemo {
    [Cmdlet(VerbsCommon.Get, "HcDemo", DefaultParameterSetName = "ByName")]
    public class GetHcDemo : PSCmdlet {
        [Parameter(Position = 0, Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = "ByName")]
        [SupportsWildcards]
        public string Name { get; set; }
        [Parameter(ParameterSetName = "ById")]
        public int Id { get; set; }
        [Parameter]
        public SwitchParameter Force { get; set; }
        protected override void ProcessRecord() { WriteObject(Name); }
    }
    [Cmdlet(VerbsCommon.Set, "HcDemo", SupportsShouldProcess = true)]
    public class SetHcDemo : PSCmdlet {
        [Parameter(Position = 0)] public string Value { get; set; }
        [Parameter] public string Extra { get; set; }
        protected override void ProcessRecord() { }
    }
    [Cmdlet(VerbsCommon.Remove, "HcDemo")]
    public class RemoveHcDemo : PSCmdlet {
        protected override void ProcessRecord() { }
    }
}
'@
        $getPage = @"
---
external help file: $asmName.dll-Help.xml
Module Name: $asmName
online version: https://example.org/get-hcdemo
schema: 2.0.0
---

# Get-HcDemo

## SYNOPSIS
Gets the HcDemo synopsis text.

## SYNTAX

### ByName (Default)
``````
Get-HcDemo [-Name] <String> [-Force] [<CommonParameters>]
``````

### ById
``````
Get-HcDemo [-Id <Int32>] [-Force] [<CommonParameters>]
``````

## DESCRIPTION
The Get-HcDemo description paragraph.

## EXAMPLES

### Example 1: By name
``````powershell
Get-HcDemo -Name UniqueExampleCode
``````

Gets one demo by name.

### Example 2: By id
``````powershell
Get-HcDemo -Id 42
``````

## PARAMETERS

### -Name
The HcDemo name parameter description.

``````yaml
Type: String
Parameter Sets: ByName
Aliases: n

Required: True
Position: 0
Default value: None
Accept pipeline input: True (ByPropertyName)
Accept wildcard characters: True
``````

### -Id
The id parameter description.

``````yaml
Type: Int32
Parameter Sets: ById
Aliases:

Required: False
Position: Named
Default value: 0
Accept pipeline input: False
Accept wildcard characters: False
``````

### -Force
Forces the operation.

``````yaml
Type: SwitchParameter
Parameter Sets: (All)
Aliases:

Required: False
Position: Named
Default value: False
Accept pipeline input: False
Accept wildcard characters: False
``````

### CommonParameters
This cmdlet supports the common parameters.

## INPUTS

### System.String
HcDemo input type description.

## OUTPUTS

### System.Object
HcDemo output type description.

## NOTES
HcDemo note text.

## RELATED LINKS

[Set-HcDemo](Set-HcDemo.md)
"@
        $docs = Join-Path $TestDrive 'e2e-docs'
        $null = Write-Page $docs 'Get-HcDemo' $getPage
        $null = Write-Page $docs 'Set-HcDemo' (Get-MinimalPage -Name 'Set-HcDemo' -Parameters Value, Extra, WhatIf -HelpFile "$asmName.dll-Help.xml" -ModuleName $asmName)
        $null = Write-Page $docs 'Remove-HcDemo' (Get-MinimalPage -Name 'Remove-HcDemo' -HelpFile "$asmName.dll-Help.xml" -ModuleName $asmName)
        $null = Write-Page $docs "about_$asmName" "# about_$asmName`n`n## Short description`nHcDemo about topic text."
        $null = Build-SangoHelp -DocsPath $docs -OutputPath (Join-Path $modDir 'en-US') -ModuleName $asmName
        $module = Import-Module $dll -PassThru -Force
    }

    AfterAll {
        if ($module) { Remove-Module $module -Force -ErrorAction SilentlyContinue }
        Remove-Item -LiteralPath $modDir -Recurse -Force -ErrorAction SilentlyContinue
    }

    Context 'Get-Help' {
        It 'shows synopsis, description, parameters, examples, inputs, outputs, notes and links with -Full' {
            $full = Get-Help Get-HcDemo -Full | Out-String -Width 200
            $full | Should -Match 'Gets the HcDemo synopsis text\.'
            $full | Should -Match 'The Get-HcDemo description paragraph\.'
            $full | Should -Match 'The HcDemo name parameter description\.'
            $full | Should -Match 'Get-HcDemo -Name UniqueExampleCode'
            $full | Should -Match 'Example 1: By name'
            $full | Should -Match 'HcDemo input type description\.'
            $full | Should -Match 'HcDemo output type description\.'
            $full | Should -Match 'HcDemo note text\.'
            $full | Should -Match 'Online Version: https://example\.org/get-hcdemo'
            $full | Should -Match 'Set-HcDemo'
            $full | Should -Match 'Get-HcDemo \[-Name\] <String> \[-Force\]'
            $full | Should -Match 'Get-HcDemo \[-Id <Int32>\] \[-Force\]'
        }

        It 'shows the examples with -Examples' {
            $ex = Get-Help Get-HcDemo -Examples | Out-String -Width 200
            $ex | Should -Match 'Get-HcDemo -Name UniqueExampleCode'
            $ex | Should -Match 'Get-HcDemo -Id 42'
            $ex | Should -Match 'Gets one demo by name\.'
            $ex | Should -Not -Match 'The HcDemo name parameter description'
        }

        It 'shows one parameter with -Parameter' {
            $p = Get-Help Get-HcDemo -Parameter Name | Out-String -Width 200
            $p | Should -Match 'The HcDemo name parameter description\.'
            $p | Should -Match 'Required\?\s+true'
            $p | Should -Match 'Position\?\s+0'
            $p | Should -Match 'Accept pipeline input\?\s+True \(ByPropertyName\)'
            $p | Should -Match 'Accept wildcard characters\?\s+true'
        }

        It 'exposes parameter metadata as written: <Name>' -ForEach @(
            @{ Name = 'Name'; Required = 'true'; Position = '0'; Pipeline = 'True (ByPropertyName)'; Globbing = 'true'; Default = 'None' }
            @{ Name = 'Id'; Required = 'false'; Position = 'named'; Pipeline = 'False'; Globbing = 'false'; Default = '0' }
            @{ Name = 'Force'; Required = 'false'; Position = 'named'; Pipeline = 'False'; Globbing = 'false'; Default = 'False' }
        ) {
            $p = (Get-Help Get-HcDemo).parameters.parameter | Where-Object name -eq $Name
            $p | Should -Not -BeNullOrEmpty
            $p.required | Should -Be $Required
            $p.position | Should -Be $Position
            $p.pipelineInput | Should -Be $Pipeline
            $p.globbing | Should -Be $Globbing
            $p.defaultValue | Should -Be $Default
        }

        It 'exposes synopsis, examples and links as objects' {
            $h = Get-Help Get-HcDemo
            $h.Synopsis | Should -Be 'Gets the HcDemo synopsis text.'
            @($h.examples.example).Count | Should -Be 2
            @($h.relatedLinks.navigationLink.linkText) | Should -Contain 'Set-HcDemo'
        }

        It 'finds the about topic next to the module' {
            $about = Get-Help "about_$asmName" | Out-String
            $about | Should -Match 'HcDemo about topic text\.'
        }
    }

    Context 'Test-SangoHelpCoverage' {
        It 'returns nothing when every cmdlet is fully documented (WhatIf documented or not)' {
            $problems = @(Test-SangoHelpCoverage -Module $module -DocsPath $docs)
            $problems | Should -BeNullOrEmpty -Because ($problems -join '; ')
        }

        It 'accepts a module name' {
            @(Test-SangoHelpCoverage -Module $module.Name -DocsPath $docs) | Should -BeNullOrEmpty
        }

        It 'reports <Kind> for <Command>' -ForEach @(
            @{ Kind = 'MissingPage'; Command = 'Remove-HcDemo'; Parameter = ''; Setup = { param($d) Remove-Item (Join-Path $d 'Remove-HcDemo.md') } }
            @{ Kind = 'UndocumentedParameter'; Command = 'Set-HcDemo'; Parameter = 'Extra'; Setup = { param($d, $a) Set-Content (Join-Path $d 'Set-HcDemo.md') (Get-MinimalPage -Name 'Set-HcDemo' -Parameters Value -HelpFile "$a.dll-Help.xml" -ModuleName $a) } }
            @{ Kind = 'UnknownParameter'; Command = 'Set-HcDemo'; Parameter = 'Bogus'; Setup = { param($d, $a) Set-Content (Join-Path $d 'Set-HcDemo.md') (Get-MinimalPage -Name 'Set-HcDemo' -Parameters Value, Extra, Bogus -HelpFile "$a.dll-Help.xml" -ModuleName $a) } }
            @{ Kind = 'UnknownParameter'; Command = 'Remove-HcDemo'; Parameter = 'WhatIf'; Setup = { param($d, $a) Set-Content (Join-Path $d 'Remove-HcDemo.md') (Get-MinimalPage -Name 'Remove-HcDemo' -Parameters WhatIf -HelpFile "$a.dll-Help.xml" -ModuleName $a) } }
            @{ Kind = 'MissingParameterDescription'; Command = 'Set-HcDemo'; Parameter = 'Extra'; Setup = { param($d, $a) Set-Content (Join-Path $d 'Set-HcDemo.md') (Get-MinimalPage -Name 'Set-HcDemo' -Parameters Value, Extra -HelpFile "$a.dll-Help.xml" -ModuleName $a).Replace('The Extra parameter.', '') } }
            @{ Kind = 'TooFewExamples'; Command = 'Set-HcDemo'; Parameter = ''; Setup = { param($d, $a) Set-Content (Join-Path $d 'Set-HcDemo.md') (Get-MinimalPage -Name 'Set-HcDemo' -Parameters Value, Extra -Examples 1 -HelpFile "$a.dll-Help.xml" -ModuleName $a) } }
            @{ Kind = 'Placeholder'; Command = 'Set-HcDemo'; Parameter = ''; Setup = { param($d, $a) Set-Content (Join-Path $d 'Set-HcDemo.md') (Get-MinimalPage -Name 'Set-HcDemo' -Parameters Value, Extra -Synopsis '{{ Fill in the Synopsis }}' -HelpFile "$a.dll-Help.xml" -ModuleName $a) } }
            @{ Kind = 'MalformedPage'; Command = 'Set-HcDemo'; Parameter = ''; Setup = { param($d) Set-Content (Join-Path $d 'Set-HcDemo.md') "---`nexternal help file: x`n---`n# Set-HcDemo`n## DESCRIPTION`nNo synopsis." } }
            @{ Kind = 'OrphanPage'; Command = 'Get-Nothing'; Parameter = ''; Setup = { param($d, $a) Set-Content (Join-Path $d 'Get-Nothing.md') (Get-MinimalPage -Name 'Get-Nothing' -HelpFile "$a.dll-Help.xml" -ModuleName $a) } }
        ) {
            $case = Join-Path $TestDrive "coverage-$([guid]::NewGuid().ToString('N'))"
            Copy-Item -LiteralPath $docs -Destination $case -Recurse
            & $Setup $case $asmName

            $problems = @(Test-SangoHelpCoverage -Module $module -DocsPath $case)
            $problems.Count | Should -Be 1 -Because ($problems -join '; ')
            $problems[0].Kind | Should -Be $Kind
            $problems[0].Command | Should -Be $Command
            $problems[0].Parameter | Should -Be $Parameter
            "$($problems[0])" | Should -Be $problems[0].Message
            $problems[0].Message | Should -Match ([regex]::Escape($Command))
        }
    }
}
