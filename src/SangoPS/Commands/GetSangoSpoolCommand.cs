using System.Management.Automation;
using SangoPS.Errors;
using SangoPS.Spool;

namespace SangoPS.Commands;

/// <summary>Shows what waits in a spool directory: count, oldest, bytes, and files set aside as corrupt.</summary>
// The session set is the default, so a session from the pipeline binds to -Session by value even when it has no
// spool (its null SpoolDirectory would otherwise be offered to -Path by property name and fail validation), and
// Get-SangoSpool alone reads the default session's spool.
[Cmdlet(VerbsCommon.Get, "SangoSpool", DefaultParameterSetName = SessionSet)]
[OutputType(typeof(SpoolInfo))]
public sealed class GetSangoSpoolCommand : SangoCmdlet
{
    private const string PathSet = "Path";
    private const string SessionSet = "Session";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("SpoolDirectory")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    [Parameter(ParameterSetName = SessionSet, ValueFromPipeline = true)]
    [ArgumentCompleter(typeof(SessionArgumentCompleter))]
    public Sessions.SangoSession? Session { get; set; }

    protected override void ProcessRecord()
    {
        var session = ParameterSetName == SessionSet ? Session ?? DefaultSessionOrStop() : null;
        var paths = session is null ? Path : session.SpoolDirectory is { } spool ? [spool] : [];
        if (session is not null && paths.Length == 0)
        {
            WriteError(SangoErrorRecords.Create(SangoErrorIds.NoSpool, ErrorCategory.ObjectNotFound,
                $"Session '{session.Name}' has no spool directory.", session, "Connect with Connect-Sango -SpoolDirectory <path>."));
            return;
        }

        foreach (var path in paths)
        {
            var full = GetUnresolvedProviderPathFromPSPath(path);
            if (!Directory.Exists(full))
            {
                WriteError(SangoErrorRecords.Create(SangoErrorIds.SpoolNotFound, ErrorCategory.ObjectNotFound,
                    $"The spool directory '{full}' does not exist.", path, "Give the path used with Connect-Sango -SpoolDirectory."));
                continue;
            }

            WriteObject(new MessageSpool(full).GetInfo());
        }
    }
}
