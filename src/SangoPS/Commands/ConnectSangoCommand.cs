using System.Management.Automation;
using System.Net;
using SangoPS.Endpoints;
using SangoPS.Errors;
using SangoPS.Sessions;

namespace SangoPS.Commands;

/// <summary>Opens a session to a broker (or a cluster of endpoints) and makes it the default session.</summary>
[Cmdlet(VerbsCommunications.Connect, "Sango")]
[OutputType(typeof(SangoSession))]
public sealed class ConnectSangoCommand : SangoCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Endpoint { get; set; } = [];

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Credential]
    public PSCredential? Credential { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    [ValidateLength(1, 65535)]
    public string? ClientId { get; set; }

    [Parameter]
    [ValidateSet("5.0", "3.1.1")]
    public string ProtocolVersion { get; set; } = "5.0";

    [Parameter]
    [ValidateRange(1, 268_435_455)]
    public int MaxPayloadBytes { get; set; } = SangoSessionOptions.DefaultMaxPayloadBytes;

    [Parameter]
    [ValidateRange(0, 65535)]
    public int KeepAliveSeconds { get; set; } = SangoSessionOptions.DefaultKeepAliveSeconds;

    [Parameter]
    [ValidateRange(1, 3600)]
    public int TimeoutSeconds { get; set; } = SangoSessionOptions.DefaultTimeoutSeconds;

    [Parameter]
    public bool CleanSession { get; set; } = true;

    [Parameter]
    public uint SessionExpirySeconds { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    protected override void ProcessRecord()
    {
        var endpoints = new List<SangoEndpoint>();
        foreach (var text in Endpoint)
        {
            try
            {
                endpoints.Add(SangoEndpoint.Parse(text));
            }
            catch (SangoException exception)
            {
                ThrowSangoError(exception);
            }
        }

        var options = new SangoSessionOptions(endpoints)
        {
            Name = Name,
            UserName = Credential?.UserName,
            ClientId = ClientId ?? "sangops-" + Guid.NewGuid().ToString("N")[..12],
            ProtocolVersion = ProtocolVersion == "3.1.1" ? SangoProtocolVersion.V311 : SangoProtocolVersion.V500,
            AllowProtocolFallback = !MyInvocation.BoundParameters.ContainsKey(nameof(ProtocolVersion)),
            MaxPayloadBytes = MaxPayloadBytes,
            KeepAliveSeconds = KeepAliveSeconds,
            TimeoutSeconds = TimeoutSeconds,
            CleanSession = CleanSession,
            SessionExpirySeconds = SessionExpirySeconds,
        };
        if (Credential is not null)
        {
            options.SetPassword(Credential.GetNetworkCredential().Password);
        }

        var session = new SangoSession(options);
        try
        {
            Await(session.ConnectAsync(StopToken), session);
        }
        catch (SangoException exception)
        {
            session.Dispose();
            ThrowSangoError(exception);
        }
        catch
        {
            session.Dispose();
            throw;
        }

        SessionRegistry.Add(RunspaceId, session);
        WriteObject(session);
    }
}
