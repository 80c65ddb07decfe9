using System.Management.Automation;
using SangoPS.Errors;
using SangoPS.LocalBroker;

namespace SangoPS.Commands;

/// <summary>Starts an in-process MQTT broker on loopback, for the demo and quick experiments.</summary>
[Cmdlet(VerbsLifecycle.Start, "SangoLocalBroker", SupportsShouldProcess = true)]
[OutputType(typeof(SangoLocalBroker))]
public sealed class StartSangoLocalBrokerCommand : SangoCmdlet
{
    /// <summary>0 (the default) picks a free port.</summary>
    [Parameter(Position = 0)]
    [ValidateRange(0, 65535)]
    public int Port { get; set; }

    /// <summary>
    /// Also serve MQTT over TLS on another free loopback port, with a certificate for *.sango.test, localhost and
    /// 127.0.0.1 from a throwaway CA made in memory; the broker's CaFile is that CA's certificate, for -CaFile.
    /// </summary>
    [Parameter]
    public SwitchParameter Tls { get; set; }

    protected override void ProcessRecord()
    {
        var target = Port == 0 ? "127.0.0.1 (a free port)" : $"127.0.0.1:{Port}";
        if (!ShouldProcess(Tls ? target + " and a TLS endpoint on a free port" : target, "Start a local MQTT broker"))
        {
            return;
        }

        try
        {
            var broker = Await(SangoLocalBroker.StartAsync(Port, Tls, StopToken));
            WriteVerbose($"Local broker listening at {broker.Endpoint}.");
            if (broker.TlsEndpoint is not null)
            {
                WriteVerbose($"TLS endpoint {broker.TlsEndpoint} with certificate {broker.CertificateSubject}; its CA certificate is in {broker.CaFile} (deleted when the broker stops).");
            }

            WriteObject(broker);
        }
        catch (Exception exception) when (exception is System.Net.Sockets.SocketException or InvalidOperationException)
        {
            ThrowSangoError(new SangoException(SangoErrorIds.LocalBrokerFailed, SangoErrorKind.ConnectionError,
                $"The local broker could not start on port {Port}: {exception.Message}", Port,
                "Choose another port, or omit -Port to use a free one.", exception));
        }
        catch (Exception exception) when (Tls && exception is System.Security.Cryptography.CryptographicException
            or IOException or UnauthorizedAccessException)
        {
            // Making the throwaway certificates or writing the CA file to the temp folder failed, not the network.
            ThrowSangoError(new SangoException(SangoErrorIds.LocalBrokerFailed, SangoErrorKind.InvalidOperation,
                $"The local broker's TLS endpoint could not be set up: {exception.Message}", Port,
                "Check that the temp folder is writable, or start the broker without -Tls.", exception));
        }
    }
}
