namespace SangoPS.Tls;

/// <summary>What <see cref="ChainTrustCheck"/> found: whether the chain is trusted, the chain as built, and why not.</summary>
internal sealed class ChainTrustResult
{
    public ChainTrustResult(bool isTrusted, string[] chain, string[] problems)
    {
        IsTrusted = isTrusted;
        Chain = chain;
        Problems = problems;
    }

    public bool IsTrusted { get; }

    /// <summary>Subjects of the built chain, leaf first.</summary>
    public string[] Chain { get; }

    public string[] Problems { get; }
}
