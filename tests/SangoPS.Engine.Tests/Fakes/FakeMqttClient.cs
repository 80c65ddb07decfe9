using MQTTnet;
using MQTTnet.Diagnostics.PacketInspection;

namespace SangoPS.Engine.Tests.Fakes;

/// <summary>
/// A transport that records what the writer hands it: acknowledges at once, or holds each publish until the test
/// acknowledges or drops it. Only publishing is implemented; the writer needs nothing else.
/// </summary>
internal sealed class FakeMqttClient : IMqttClient
{
    private readonly object _gate = new();
    private readonly List<MqttApplicationMessage> _sent = new();
    private readonly Queue<TaskCompletionSource<MqttClientPublishResult>> _held = new();

    public FakeMqttClient(bool acknowledgeAtOnce) => AcknowledgeAtOnce = acknowledgeAtOnce;

    /// <summary>QoS 2 publishes are never completed, as with a broker that answers them with a PUBACK; they end only by their deadline.</summary>
    public bool NeverCompleteQoS2 { get; init; }

    public bool AcknowledgeAtOnce { get; }

    public bool IsConnected { get; set; } = true;

    public MqttClientOptions Options => throw new NotSupportedException();

    public IReadOnlyList<string> SentTopics
    {
        get
        {
            lock (_gate)
            {
                return _sent.Select(m => m.Topic).ToArray();
            }
        }
    }

    public int SentCount
    {
        get
        {
            lock (_gate)
            {
                return _sent.Count;
            }
        }
    }

    public event Func<MqttApplicationMessageReceivedEventArgs, Task> ApplicationMessageReceivedAsync { add { } remove { } }

    public event Func<MqttClientConnectedEventArgs, Task> ConnectedAsync { add { } remove { } }

    public event Func<MqttClientConnectingEventArgs, Task> ConnectingAsync { add { } remove { } }

    public event Func<MqttClientDisconnectedEventArgs, Task> DisconnectedAsync { add { } remove { } }

    public event Func<InspectMqttPacketEventArgs, Task> InspectPacketAsync { add { } remove { } }

    public Task<MqttClientPublishResult> PublishAsync(MqttApplicationMessage applicationMessage, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _sent.Add(applicationMessage);
            if (NeverCompleteQoS2 && applicationMessage.QualityOfServiceLevel == MQTTnet.Protocol.MqttQualityOfServiceLevel.ExactlyOnce)
            {
                return Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith<MqttClientPublishResult>(
                    static _ => throw new OperationCanceledException(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }

            if (AcknowledgeAtOnce)
            {
                return Task.FromResult(Success());
            }

            var held = new TaskCompletionSource<MqttClientPublishResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            _held.Enqueue(held);
            return held.Task;
        }
    }

    /// <summary>Acknowledges the oldest held publish.</summary>
    public void AcknowledgeOne()
    {
        TaskCompletionSource<MqttClientPublishResult> held;
        lock (_gate)
        {
            held = _held.Dequeue();
        }

        held.SetResult(Success());
    }

    /// <summary>The connection drops: every held publish fails as MQTTnet fails them.</summary>
    public void Drop()
    {
        IsConnected = false;
        List<TaskCompletionSource<MqttClientPublishResult>> held;
        lock (_gate)
        {
            held = _held.ToList();
            _held.Clear();
        }

        foreach (var publish in held)
        {
            publish.SetException(new MQTTnet.Exceptions.MqttClientNotConnectedException());
        }
    }

    public Task<MqttClientConnectResult> ConnectAsync(MqttClientOptions options, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task DisconnectAsync(MqttClientDisconnectOptions options, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task PingAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task SendEnhancedAuthenticationExchangeDataAsync(MqttEnhancedAuthenticationExchangeData data, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public Task<MqttClientSubscribeResult> SubscribeAsync(MqttClientSubscribeOptions options, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<MqttClientUnsubscribeResult> UnsubscribeAsync(MqttClientUnsubscribeOptions options, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public void Dispose()
    {
    }

    private static MqttClientPublishResult Success() => new(1, MqttClientPublishReasonCode.Success, string.Empty, []);
}
