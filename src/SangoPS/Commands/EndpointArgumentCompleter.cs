using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using SangoPS.Sessions;

namespace SangoPS.Commands;

/// <summary>Completes -Endpoint with the endpoints of the open sessions.</summary>
public sealed class EndpointArgumentCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var runspaceId = System.Management.Automation.Runspaces.Runspace.DefaultRunspace?.InstanceId ?? Guid.Empty;
        var prefix = (wordToComplete ?? string.Empty).Trim('\'', '"');
        return SessionRegistry.GetAll(runspaceId)
            .SelectMany(s => s.Endpoints)
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Where(e => e.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Select(e => new CompletionResult("'" + e + "'", e, CompletionResultType.ParameterValue, e));
    }
}
