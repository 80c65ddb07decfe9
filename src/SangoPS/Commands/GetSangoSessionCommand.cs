using System.Management.Automation;
using SangoPS.Errors;
using SangoPS.Sessions;

namespace SangoPS.Commands;

/// <summary>Lists the open sessions of this runspace; the default session comes last.</summary>
[Cmdlet(VerbsCommon.Get, "SangoSession", DefaultParameterSetName = ByNameSet)]
[OutputType(typeof(SangoSession))]
public sealed class GetSangoSessionCommand : SangoCmdlet
{
    private const string ByNameSet = "ByName";
    private const string ByIdSet = "ById";
    private const string DefaultSet = "Default";

    [Parameter(Position = 0, ParameterSetName = ByNameSet, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(SessionNameCompleter))]
    public string[]? Name { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = ByIdSet, ValueFromPipelineByPropertyName = true)]
    public int[]? Id { get; set; }

    /// <summary>Only the session cmdlets use when -Session is not given.</summary>
    [Parameter(Mandatory = true, ParameterSetName = DefaultSet)]
    public SwitchParameter Default { get; set; }

    protected override void ProcessRecord()
    {
        if (Default)
        {
            if (SessionRegistry.GetDefault(CurrentRunspace) is { } current)
            {
                WriteObject(current);
            }

            return;
        }

        var sessions = SessionRegistry.GetAll(CurrentRunspace);
        if (Id is not null)
        {
            foreach (var id in Id)
            {
                var match = sessions.FirstOrDefault(s => s.Id == id);
                if (match is null)
                {
                    WriteError(SangoErrorRecords.Create(SangoErrorIds.SessionNotFound, ErrorCategory.ObjectNotFound,
                        $"There is no open session with Id {id}.", id, "Run Get-SangoSession to list the open sessions."));
                    continue;
                }

                WriteObject(match);
            }

            return;
        }

        var patterns = (Name ?? ["*"]).Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToList();
        foreach (var session in sessions.Where(s => patterns.Any(p => p.IsMatch(s.Name))))
        {
            WriteObject(session);
        }

        foreach (var name in Name ?? [])
        {
            if (!WildcardPattern.ContainsWildcardCharacters(name) && !sessions.Any(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase)))
            {
                WriteError(SangoErrorRecords.Create(SangoErrorIds.SessionNotFound, ErrorCategory.ObjectNotFound,
                    $"There is no open session named '{name}'.", name, "Run Get-SangoSession to list the open sessions."));
            }
        }
    }
}
