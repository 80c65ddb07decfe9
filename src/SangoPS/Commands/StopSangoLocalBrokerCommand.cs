using System.Management.Automation;
using SangoPS.LocalBroker;

namespace SangoPS.Commands;

/// <summary>Stops a broker started by Start-SangoLocalBroker.</summary>
[Cmdlet(VerbsLifecycle.Stop, "SangoLocalBroker", SupportsShouldProcess = true)]
[OutputType(typeof(void))]
public sealed class StopSangoLocalBrokerCommand : SangoCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public SangoLocalBroker[] Broker { get; set; } = [];

    protected override void ProcessRecord()
    {
        foreach (var broker in Broker)
        {
            if (ShouldProcess(broker.Endpoint, "Stop the local MQTT broker"))
            {
                try
                {
                    Await(broker.StopAsync());
                }
                finally
                {
                    broker.Dispose();
                }
            }
        }
    }
}
