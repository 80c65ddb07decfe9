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

    protected override void ProcessRecord()
    {
        if (!ShouldProcess(Port == 0 ? "127.0.0.1 (a free port)" : $"127.0.0.1:{Port}", "Start a local MQTT broker"))
        {
            return;
        }

        try
        {
            var broker = Await(SangoLocalBroker.StartAsync(Port, StopToken));
            WriteVerbose($"Local broker listening at {broker.Endpoint}.");
            WriteObject(broker);
        }
        catch (Exception exception) when (exception is System.Net.Sockets.SocketException or InvalidOperationException)
        {
            ThrowSangoError(new SangoException(SangoErrorIds.LocalBrokerFailed, SangoErrorKind.ConnectionError,
                $"The local broker could not start on port {Port}: {exception.Message}", Port,
                "Choose another port, or omit -Port to use a free one.", exception));
        }
    }
}
