using SangoPS.Sessions;
using Xunit;

namespace SangoPS.Engine.Tests.Sessions;

public sealed class ReconnectSupervisorTests
{
    [Theory]
    [InlineData(0, 100)]
    [InlineData(1, 200)]
    [InlineData(5, 3200)]
    [InlineData(6, 5000)]
    [InlineData(40, 5000)]
    public void Rounds_back_off_exponentially_from_100_ms_to_at_most_5_s(int round, int milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), ReconnectSupervisor.DelayAfterRound(round));

    [Fact]
    public void Only_one_supervisor_runs_at_a_time_until_a_connection_is_installed()
    {
        var supervisor = new ReconnectSupervisor("s", [], null!, new SessionLog());
        Assert.True(supervisor.TryClaim());
        Assert.True(supervisor.IsRunning);
        Assert.False(supervisor.TryClaim());
        supervisor.MarkConnected();
        Assert.False(supervisor.IsRunning);
        Assert.True(supervisor.TryClaim());
    }
}
