using System.Management.Automation;
using System.Security;
using System.Security.Cryptography.X509Certificates;
using SangoPS.Endpoints;
using SangoPS.Errors;
using SangoPS.Sessions;
using SangoPS.Tls;

namespace SangoPS.Commands;

/// <summary>Opens a session to a broker (or a cluster of endpoints) and makes it the default session.</summary>
[Cmdlet(VerbsCommunications.Connect, "Sango")]
[OutputType(typeof(SangoSession))]
public sealed class ConnectSangoCommand : SangoCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(EndpointArgumentCompleter))]
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

    /// <summary>Trusted roots for this session (PEM bundle or one DER/CRT certificate), like mosquitto_pub --cafile.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? CaFile { get; set; }

    [Parameter]
    public X509Certificate2? ClientCertificate { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ClientCertificatePath { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ClientKeyPath { get; set; }

    [Parameter]
    public SecureString? ClientKeyPassword { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ClientCertificateThumbprint { get; set; }

    /// <summary>The name the server certificate must match (and the SNI sent) when it differs from the host dialled.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? TlsServerName { get; set; }

    [Parameter]
    public SwitchParameter SkipCertificateCheck { get; set; }

    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int MaxQueuedMessages { get; set; } = SangoSessionOptions.DefaultMaxQueuedMessages;

    // Stored as an int: a field of the library's enum type would make the runtime load SangoPS.Engine when
    // PowerShell lists this assembly's types, before OnImport has installed the load-context resolver.
    private int _strategy = (int)SangoEndpointStrategy.Failover;

    [Parameter]
    public SangoEndpointStrategy Strategy { get => (SangoEndpointStrategy)_strategy; set => _strategy = (int)value; }

    [Parameter]
    [ValidateRange(0, 3600)]
    public int ReplaySeconds { get; set; } = SangoSessionOptions.DefaultReplaySeconds;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SpoolDirectory { get; set; }

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

        var caFile = LoadCaFile();
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
            // Without a clean session, MQTT 3.1.1 keeps the broker's session until the next connect; an MQTT 5
            // session without an expiry would end with the connection, so it gets "never expires" by default.
            SessionExpirySeconds = MyInvocation.BoundParameters.ContainsKey(nameof(SessionExpirySeconds)) || CleanSession ? SessionExpirySeconds : uint.MaxValue,
            MaxQueuedMessages = MaxQueuedMessages,
            Strategy = Strategy,
            ReplaySeconds = ReplaySeconds,
            SpoolDirectory = SpoolDirectory is null ? null : GetUnresolvedProviderPathFromPSPath(SpoolDirectory),
            CaCertificates = caFile?.CustomRoots,
            CaFilePath = caFile?.CaFilePath,
            ClientCertificate = LoadClientCertificate(),
            // A certificate object the user passed stays the user's; one SangoPS loaded is the session's to dispose.
            OwnsClientCertificate = !MyInvocation.BoundParameters.ContainsKey(nameof(ClientCertificate)),
            TlsServerName = TlsServerName,
            SkipCertificateCheck = SkipCertificateCheck,
            LogPackets = IsDebugOutputOn(),
        };
        if (Credential is not null)
        {
            SecureStringText.Use(Credential.Password, text =>
            {
                options.SetPassword(text);
                return true;
            });
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

        SessionRegistry.Add(CurrentRunspace, session);
        WriteObject(session);
    }

    private CertificateTrustOptions? LoadCaFile()
    {
        if (CaFile is null)
        {
            return null;
        }

        try
        {
            return CertificateTrustOptions.FromCaFile(GetUnresolvedProviderPathFromPSPath(CaFile));
        }
        catch (SangoException exception)
        {
            ThrowSangoError(exception);
            return null;
        }
    }

    private X509Certificate2? LoadClientCertificate()
    {
        var given = new[] { ClientCertificate is not null, ClientCertificatePath is not null, ClientCertificateThumbprint is not null }.Count(g => g);
        if (given > 1)
        {
            ThrowSangoError(new SangoException(SangoErrorIds.ClientCertificateAmbiguous, SangoErrorKind.InvalidArgument,
                "Give the client certificate one way only: -ClientCertificate, -ClientCertificatePath or -ClientCertificateThumbprint.",
                null, "Remove all but one of these parameters."));
        }

        if (ClientKeyPath is not null && ClientCertificatePath is null)
        {
            ThrowSangoError(new SangoException(SangoErrorIds.ClientCertificateAmbiguous, SangoErrorKind.InvalidArgument,
                "-ClientKeyPath needs -ClientCertificatePath (the certificate the key belongs to).", ClientKeyPath,
                "Add -ClientCertificatePath <certificate.pem>."));
        }

        try
        {
            if (ClientCertificate is not null)
            {
                if (!ClientCertificate.HasPrivateKey)
                {
                    ThrowSangoError(new SangoException(SangoErrorIds.ClientCertificateInvalid, SangoErrorKind.InvalidArgument,
                        $"The client certificate '{ClientCertificate.Subject}' has no private key, so it cannot authenticate.",
                        ClientCertificate.Subject, "Use a certificate with its private key, e.g. from Cert:\\CurrentUser\\My."));
                }

                return ClientCertificate;
            }

            if (ClientCertificatePath is not null)
            {
                var certificatePath = GetUnresolvedProviderPathFromPSPath(ClientCertificatePath);
                var keyPath = ClientKeyPath is null ? null : GetUnresolvedProviderPathFromPSPath(ClientKeyPath);
                return ClientKeyPassword is null
                    ? ClientCertificateLoader.FromFiles(certificatePath, keyPath, ReadOnlySpan<char>.Empty)
                    : SecureStringText.Use(ClientKeyPassword, password => ClientCertificateLoader.FromFiles(certificatePath, keyPath, password));
            }

            return ClientCertificateThumbprint is null ? null : ClientCertificateLoader.FromStore(ClientCertificateThumbprint);
        }
        catch (SangoException exception)
        {
            ThrowSangoError(exception);
            return null;
        }
    }

    /// <summary>
    /// Whether this invocation shows debug output (-Debug, or $DebugPreference in the caller's scope). PowerShell
    /// knows it in the command runtime; that property is not public, so it is read by reflection, falling back
    /// to the session's $DebugPreference.
    /// </summary>
    private bool IsDebugOutputOn()
    {
        if (MyInvocation.BoundParameters.ContainsKey("Debug"))
        {
            return true;
        }

        var preference = CommandRuntime.GetType()
            .GetProperty("DebugPreference", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public)?
            .GetValue(CommandRuntime) ?? GetVariableValue("DebugPreference");
        return preference is ActionPreference value && value != ActionPreference.SilentlyContinue && value != ActionPreference.Ignore;
    }
}
