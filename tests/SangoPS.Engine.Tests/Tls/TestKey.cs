namespace SangoPS.Engine.Tests.Tls;

/// <summary>The key types the test certificates are made with.</summary>
public enum TestKey
{
    EcdsaP256,
    EcdsaP384,
    Rsa2048,
}
