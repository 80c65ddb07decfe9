using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using SangoPS.Sessions;

namespace SangoPS.Commands;

/// <summary>Completes -Session with the open sessions of this runspace, by name.</summary>
public sealed class SessionArgumentCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var runspaceId = System.Management.Automation.Runspaces.Runspace.DefaultRunspace?.InstanceId ?? Guid.Empty;
        var pattern = new WildcardPattern((wordToComplete ?? string.Empty).Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);
        foreach (var session in SessionRegistry.GetAll(runspaceId))
        {
            if (pattern.IsMatch(session.Name))
            {
                yield return new CompletionResult(
                    $"(Get-SangoSession -Name '{session.Name.Replace("'", "''", StringComparison.Ordinal)}')",
                    session.Name, CompletionResultType.ParameterValue, session.ToString());
            }
        }
    }
}
