using System.Management.Automation;
using SangoPS.Endpoints;
using SangoPS.Errors;
using SangoPS.Sessions;
using SangoPS.Tls;

namespace SangoPS.Commands;

/// <summary>
/// Checks a broker's TLS certificate the way Connect-Sango would (host name, dates, trust, server usage) and says in
/// plain words what is wrong: from a live endpoint, from a session's endpoints, or from certificate files.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "SangoCertificate", DefaultParameterSetName = EndpointSet)]
[OutputType(typeof(CertificateReport), typeof(bool))]
public sealed class TestSangoCertificateCommand : SangoCmdlet
{
    public const string EndpointSet = "Endpoint";
    public const string SessionSet = "Session";
    public const string PathSet = "Path";

    private CertificateTrustOptions _trust = CertificateTrustOptions.SystemStore;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = EndpointSet)]
    [ValidateNotNullOrEmpty]
    public string[] Endpoint { get; set; } = [];

    // Also by value, so that Get-SangoSession | Test-SangoCertificate binds the session rather than its text.
    [Parameter(Mandatory = true, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = SessionSet)]
    [ArgumentCompleter(typeof(SessionArgumentCompleter))]
    [ValidateNotNull]
    public SangoSession? Session { get; set; }

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    [Parameter(Mandatory = true, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string? HostName { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CaFile { get; set; }

    [Parameter(ParameterSetName = EndpointSet)]
    [Parameter(ParameterSetName = SessionSet)]
    [ValidateNotNullOrEmpty]
    public string? TlsServerName { get; set; }

    [Parameter(ParameterSetName = EndpointSet)]
    [Parameter(ParameterSetName = SessionSet)]
    [ValidateRange(1, 3600)]
    public int TimeoutSeconds { get; set; } = SangoSessionOptions.DefaultTimeoutSeconds;

    [Parameter]
    public SwitchParameter Quiet { get; set; }

    protected override void BeginProcessing()
    {
        if (CaFile is null)
        {
            return;
        }

        // Relative to the PowerShell location, not the process's working directory.
        var path = SessionState.Path.GetUnresolvedProviderPathFromPSPath(CaFile);
        try
        {
            _trust = CertificateTrustOptions.FromCaFile(path);
        }
        catch (SangoException exception)
        {
            // Without the CA nothing can be judged, so this stops.
            ThrowSangoError(exception);
        }
    }

    protected override void ProcessRecord()
    {
        switch (ParameterSetName)
        {
            case SessionSet:
                ProcessSession(Session!);
                break;
            case PathSet:
                foreach (var path in Path)
                {
                    ProcessPath(path);
                }

                break;
            default:
                foreach (var text in Endpoint)
                {
                    ProcessEndpoint(text, TlsServerName, _trust, TimeSpan.FromSeconds(TimeoutSeconds));
                }

                break;
        }
    }

    private void ProcessSession(SangoSession session)
    {
        var options = session.Options;

        // The session's own settings, unless this command was told otherwise.
        var trust = CaFile is not null || options.CaCertificates is null
            ? _trust
            : new CertificateTrustOptions(options.CaCertificates, options.CaFilePath);
        var serverName = TlsServerName ?? options.TlsServerName;
        var timeout = TimeSpan.FromSeconds(MyInvocation.BoundParameters.ContainsKey(nameof(TimeoutSeconds)) ? TimeoutSeconds : session.TimeoutSeconds);

        var connected = session.ConnectedEndpoint;
        var endpoints = connected is not null ? [connected] : session.Endpoints;
        foreach (var endpoint in endpoints)
        {
            ProcessEndpoint(endpoint, serverName, trust, timeout);
        }
    }

    private void ProcessEndpoint(string text, string? serverName, CertificateTrustOptions trust, TimeSpan timeout)
    {
        CertificateReport report;
        try
        {
            var endpoint = SangoEndpoint.Parse(text);
            report = Await(TlsHandshakeProbe.ProbeAsync(endpoint, serverName, trust, timeout, StopToken));
        }
        catch (SangoException exception)
        {
            Fail(SangoErrorRecords.From(exception, text));
            return;
        }

        Write(report);
    }

    private void ProcessPath(string path)
    {
        List<string> files;
        try
        {
            files = [.. GetResolvedProviderPathFromPSPath(path, out var provider)];
            if (provider.Name != "FileSystem")
            {
                Fail(SangoErrorRecords.Create(SangoErrorIds.CertificateFileInvalid, ErrorCategory.InvalidArgument,
                    $"'{path}' is not a file system path (it belongs to the {provider.Name} provider).", path,
                    "Give the path of a PEM or DER certificate file."));
                return;
            }
        }
        catch (ItemNotFoundException exception)
        {
            Fail(SangoErrorRecords.Create(SangoErrorIds.CertificateFileInvalid, ErrorCategory.ObjectNotFound, exception.Message, path,
                "Check the path; it should be the broker's certificate as a PEM or DER file."));
            return;
        }

        foreach (var file in files)
        {
            if (Directory.Exists(file))
            {
                continue;
            }

            CertificateReport report;
            try
            {
                var certificates = CertificateFile.ReadAll(file, "certificate file");
                try
                {
                    // The first certificate is the server's own; the rest are what it would send along.
                    report = CertificateInspector.Inspect(certificates[0], HostName!, _trust, certificates);
                }
                finally
                {
                    foreach (var certificate in certificates)
                    {
                        certificate.Dispose();
                    }
                }
            }
            catch (Exception exception) when (exception is InvalidDataException or FileNotFoundException or UnauthorizedAccessException or IOException)
            {
                Fail(SangoErrorRecords.Create(SangoErrorIds.CertificateFileInvalid, ErrorCategory.InvalidArgument, exception.Message, file,
                    "Give the broker's certificate as a PEM or DER file; a PEM file may carry its chain after it."));
                continue;
            }

            Write(report);
        }
    }

    private void Write(CertificateReport report)
    {
        if (Quiet)
        {
            WriteObject(report.IsValid);
        }
        else
        {
            WriteObject(report);
        }
    }

    // With -Quiet every input answers with one boolean, as Test-Connection -Quiet does; the reason goes to verbose.
    private void Fail(ErrorRecord record)
    {
        if (Quiet)
        {
            WriteVerbose($"{record.TargetObject}: {record.Exception.Message}");
            WriteObject(false);
        }
        else
        {
            WriteError(record);
        }
    }
}
