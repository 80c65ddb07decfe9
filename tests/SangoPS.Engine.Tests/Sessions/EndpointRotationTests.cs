using SangoPS.Endpoints;
using SangoPS.Sessions;
using Xunit;

namespace SangoPS.Engine.Tests.Sessions;

public sealed class EndpointRotationTests : IDisposable
{
    private readonly string _original = EndpointRotation.StateDirectory;
    private readonly string _path = Path.Combine(Path.GetTempPath(), "sangops-rr-" + Guid.NewGuid().ToString("N"));

    public EndpointRotationTests() => EndpointRotation.StateDirectory = _path;

    public void Dispose()
    {
        EndpointRotation.StateDirectory = _original;
        if (Directory.Exists(_path))
        {
            Directory.Delete(_path, recursive: true);
        }
    }

    private static SangoEndpoint[] Cluster(params string[] hosts) => hosts.Select(h => SangoEndpoint.Parse("mqtt://" + h)).ToArray();

    [Fact]
    public void Each_new_session_starts_at_the_next_endpoint_and_keeps_the_rest_in_order()
    {
        var cluster = Cluster("a", "b", "c");
        var firsts = Enumerable.Range(0, 6).Select(_ => EndpointRotation.NextOrder(cluster)).ToList();
        Assert.Equal(["a", "b", "c", "a", "b", "c"], firsts.Select(o => o[0].Host));
        Assert.Equal(["b", "c", "a"], firsts[1].Select(e => e.Host));
    }

    [Fact]
    public void Different_clusters_rotate_independently()
    {
        var one = Cluster("a", "b");
        var two = Cluster("x", "y");
        Assert.Equal("a", EndpointRotation.NextOrder(one)[0].Host);
        Assert.Equal("x", EndpointRotation.NextOrder(two)[0].Host);
        Assert.Equal("b", EndpointRotation.NextOrder(one)[0].Host);
    }

    [Fact]
    public void Concurrent_sessions_each_advance_the_position()
    {
        var cluster = Cluster("a", "b");
        var starts = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 40, _ => starts.Add(EndpointRotation.NextOrder(cluster)[0].Host));
        Assert.Equal(20, starts.Count(h => h == "a"));
        Assert.Equal(20, starts.Count(h => h == "b"));
    }

    [Fact]
    public void A_single_endpoint_needs_no_state() =>
        Assert.Equal("a", EndpointRotation.NextOrder(Cluster("a"))[0].Host);

    [Fact]
    public void An_unusable_state_folder_gives_a_warning_and_the_order_as_given()
    {
        Directory.CreateDirectory(_path);
        var blocker = Path.Combine(_path, "not-a-folder");
        File.WriteAllText(blocker, "a file where the state folder should be");
        EndpointRotation.StateDirectory = blocker;
        var log = new SessionLog();

        var order = EndpointRotation.NextOrder(Cluster("a", "b", "c"), log);

        Assert.Equal(["a", "b", "c"], order.Select(e => e.Host));
        var warning = Assert.Single(log.Drain());
        Assert.Equal(SessionLogLevel.Warning, warning.Level);
        Assert.Contains("order given", warning.Text, StringComparison.Ordinal);
    }
}
