using System.Buffers;
using System.Runtime.InteropServices;
using System.Security;

namespace SangoPS.Commands;

/// <summary>
/// Hands the characters of a SecureString (a -Credential's password, -ClientKeyPassword) to the code that needs
/// them without ever making a string of them: a string cannot be cleared and lives until the garbage collector
/// takes it. The characters live only in buffers cleared before this returns.
/// </summary>
internal static class SecureStringText
{
    public delegate TResult SpanFunc<TResult>(ReadOnlySpan<char> text);

    public static TResult Use<TResult>(SecureString secret, SpanFunc<TResult> use)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var length = secret.Length;
        var unmanaged = Marshal.SecureStringToGlobalAllocUnicode(secret);
        var chars = ArrayPool<char>.Shared.Rent(Math.Max(1, length));
        try
        {
            Marshal.Copy(unmanaged, chars, 0, length);
            return use(chars.AsSpan(0, length));
        }
        finally
        {
            Array.Clear(chars);
            ArrayPool<char>.Shared.Return(chars);
            Marshal.ZeroFreeGlobalAllocUnicode(unmanaged);
        }
    }
}
