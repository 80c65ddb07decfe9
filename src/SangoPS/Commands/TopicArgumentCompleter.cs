using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using SangoPS.Sessions;

namespace SangoPS.Commands;

/// <summary>Completes -Topic with topics the open sessions have received messages on.</summary>
public sealed class TopicArgumentCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var runspaceId = System.Management.Automation.Runspaces.Runspace.DefaultRunspace?.InstanceId ?? Guid.Empty;
        var prefix = (wordToComplete ?? string.Empty).Trim('\'', '"');
        return SessionRegistry.GetAll(runspaceId)
            .SelectMany(s => s.SeenTopics)
            .Distinct(StringComparer.Ordinal)
            .Where(t => t.StartsWith(prefix, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(t => new CompletionResult("'" + t.Replace("'", "''", StringComparison.Ordinal) + "'", t, CompletionResultType.ParameterValue, t));
    }
}
