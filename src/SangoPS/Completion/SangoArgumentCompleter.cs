using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using SangoPS.Sessions;

namespace SangoPS.Commands;

/// <summary>
/// The shared part of SangoPS's argument completers: they all offer something the open sessions of this
/// runspace know (their names, endpoints, or topics seen), filtered by what was typed so far.
/// </summary>
public abstract class SangoArgumentCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var typed = (wordToComplete ?? string.Empty).Trim('\'', '"');
        return Candidates(SessionRegistry.GetAll(System.Management.Automation.Runspaces.Runspace.DefaultRunspace))
            .Where(c => c.Value.StartsWith(typed, StringComparison.OrdinalIgnoreCase))
            .DistinctBy(c => c.Value, StringComparer.OrdinalIgnoreCase)
            .OrderBy(c => c.Value, StringComparer.OrdinalIgnoreCase)
            .Select(c => new CompletionResult(c.CompletionText ?? Quote(c.Value), c.Value, CompletionResultType.ParameterValue, c.Tooltip ?? c.Value));
    }

    /// <summary>What this completer offers: the value, and optionally the text to insert and a tooltip.</summary>
    protected abstract IEnumerable<(string Value, string? CompletionText, string? Tooltip)> Candidates(IReadOnlyList<SangoSession> sessions);

    protected static string Quote(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
}
