using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using SangoPS.Sessions;

namespace SangoPS.Commands;

/// <summary>Completes -Name with the names of the open sessions.</summary>
public sealed class SessionNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var runspaceId = System.Management.Automation.Runspaces.Runspace.DefaultRunspace?.InstanceId ?? Guid.Empty;
        var pattern = new WildcardPattern((wordToComplete ?? string.Empty).Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);
        return SessionRegistry.GetAll(runspaceId)
            .Where(s => pattern.IsMatch(s.Name))
            .Select(s => new CompletionResult("'" + s.Name.Replace("'", "''", StringComparison.Ordinal) + "'", s.Name,
                CompletionResultType.ParameterValue, s.ToString()));
    }
}
