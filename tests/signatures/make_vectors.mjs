// Writes wallet-signature test vectors, made now with the wallets' own libraries (pinned in
// package-lock.json), for tests/unit/wallet_signature_test.cpp:
//   EVM     ethers v6 Wallet.signMessage (EIP-191 personal_sign)
//   Tron    TronWeb's Trx.signMessageV2 (TIP-191), accounts from TronWeb's generateAccount
//   Solana  tweetnacl sign.detached over the message bytes, the address in base58 (bs58)
//   TON     @ton/crypto sign with keys from mnemonicNew/mnemonicToPrivateKey and keyPairFromSeed
// Fresh random keys and nonces on every run. Each case: scheme, name, message (UTF-8), signature,
// signer (TON: the public key as hex), valid, and for some refusals error_contains (a piece of
// the error a client is shown). Also keccak: inputs (hex) and ethers' keccak256 of each.
//
// Usage: node make_vectors.mjs OUT.json
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";

import { ethers } from "ethers";
import { TronWeb, Trx, utils as tronUtils } from "tronweb";
import nacl from "tweetnacl";
import bs58 from "bs58";
import { mnemonicNew, mnemonicToPrivateKey, keyPairFromSeed, sign as tonSign, signVerify } from "@ton/crypto";
import { secp256k1 } from "@noble/curves/secp256k1";

const out = process.argv[2];
if (!out) {
  console.error("usage: node make_vectors.mjs OUT.json");
  process.exit(2);
}

const cases = [];
function add(scheme, name, message, signature, signer, valid, errorContains) {
  const c = { scheme, name, message, signature, signer, valid };
  if (errorContains) c.error_contains = errorContains;
  cases.push(c);
}
function check(condition, what) {
  if (!condition) throw new Error(`make_vectors: self-check failed: ${what}`);
}

const nonce = () => randomBytes(8).toString("hex");
// Messages like a real claim challenge: several lines, non-ASCII UTF-8, a nonce; also the empty
// message, and one long enough that its decimal length has four digits.
function messages(network) {
  return [
    ["claim", `InstaMarket deposit claim\nnetwork: ${network}\ntx: ${randomBytes(32).toString("hex")}\n` +
      `amount: 12.345678 USDT\nnonce: ${nonce()}\nПодтверждаю перевод — 確認 ✓ 💸`],
    ["ascii", `hello ${nonce()}`],
    ["empty", ""],
    ["long", `${"Ünïcödé line; ".repeat(80)}${nonce()}`],
  ];
}
const otherMessage = () => `a different message ${nonce()}`;

function hexFlip(hex, byteIndex) {
  const prefixed = hex.startsWith("0x");
  const h = prefixed ? hex.slice(2) : hex;
  const b = Buffer.from(h, "hex");
  b[byteIndex] ^= 0x01;
  return (prefixed ? "0x" : "") + b.toString("hex");
}

const N = secp256k1.CURVE.n;
// The other signature of a malleable pair: s' = n - s, the recovery bit flipped. Checked to be a
// real signature of the same digest by the same key, so only the high-s rule can refuse it.
function highS(signatureHex, digestHex, publicKeyHex) {
  const b = Buffer.from(signatureHex.slice(2), "hex");
  const r = BigInt("0x" + b.subarray(0, 32).toString("hex"));
  const s = BigInt("0x" + b.subarray(32, 64).toString("hex"));
  const v = b[64];
  const s2 = N - s;
  const sig = new secp256k1.Signature(r, s2).addRecoveryBit((v - 27) ^ 1);
  const recovered = sig.recoverPublicKey(digestHex.slice(2)).toHex(false);
  check(recovered === publicKeyHex.replace(/^0x/, "").toLowerCase(), "high-s variant recovers the key");
  check(s2 > N / 2n, "high-s variant has a high s");
  return "0x" + r.toString(16).padStart(64, "0") + s2.toString(16).padStart(64, "0") +
    (27 + ((v - 27) ^ 1)).toString(16).padStart(2, "0");
}

function withV(signatureHex, v) {
  return signatureHex.slice(0, 130) + v.toString(16).padStart(2, "0");
}

// Shared negative cases of both secp256k1 schemes.
function secpNegatives(scheme, message, signature, signer, otherSignature, otherSigner, digest, publicKey) {
  add(scheme, "other message", otherMessage(), signature, signer, false, "signed by");
  add(scheme, "other key", message, otherSignature, signer, false, `not by the sender ${scheme === "evm" ? signer.toLowerCase() : signer}`);
  add(scheme, "other signer", message, signature, otherSigner, false, "signed by");
  add(scheme, "tampered s", message, hexFlip(signature, 40), signer, false);
  add(scheme, "tampered r", message, hexFlip(signature, 5), signer, false);
  add(scheme, "v 29", message, withV(signature, 29), signer, false, "v is 29");
  add(scheme, "64 bytes", message, signature.slice(0, 130), signer, false, "64 bytes, not 65");
  add(scheme, "66 bytes", message, signature + "00", signer, false, "66 bytes, not 65");
  add(scheme, "high s", message, highS(signature, digest, publicKey), signer, false, "upper half");
  add(scheme, "not hex", message, signature.slice(0, -2) + "zz", signer, false, "not hex");
}

// --- EVM: ethers v6 --------------------------------------------------------------------------
{
  const wallets = [0, 1, 2].map(() => ethers.Wallet.createRandom());
  for (const [i, wallet] of wallets.entries()) {
    for (const [kind, message] of messages("usdt_bsc")) {
      const signature = await wallet.signMessage(message);
      check(ethers.verifyMessage(message, signature) === wallet.address, "ethers verifies its own");
      add("evm", `key ${i} ${kind}`, message, signature, wallet.address, true);
      if (kind !== "claim") continue;
      add("evm", `key ${i} ${kind} lowercase signer`, message, signature, wallet.address.toLowerCase(), true);
      add("evm", `key ${i} ${kind} no 0x`, message, signature.slice(2), wallet.address, true);
      const v = parseInt(signature.slice(130), 16);
      add("evm", `key ${i} ${kind} v ${v - 27}`, message, withV(signature, v - 27), wallet.address, true);
      const other = wallets[(i + 1) % wallets.length];
      secpNegatives("evm", message, signature, wallet.address, await other.signMessage(message),
        other.address, ethers.hashMessage(message), wallet.signingKey.publicKey);
      // The same bytes under Tron's prefix are a different digest.
      const tronStyle = Trx.signMessageV2(message, wallet.privateKey.slice(2));
      add("evm", `key ${i} tron-prefixed signature`, message, tronStyle, wallet.address, false, "signed by");
    }
  }
}

// --- Tron: TronWeb signMessageV2 -------------------------------------------------------------
{
  const accounts = [0, 1, 2].map(() => tronUtils.accounts.generateAccount());
  for (const [i, account] of accounts.entries()) {
    const address = account.address.base58;
    for (const [kind, message] of messages("usdt_trc20")) {
      const signature = Trx.signMessageV2(message, account.privateKey);
      check(Trx.verifyMessageV2(message, signature) === address, "TronWeb verifies its own");
      add("tron", `key ${i} ${kind}`, message, signature, address, true);
      if (kind !== "claim") continue;
      const v = parseInt(signature.slice(130), 16);
      add("tron", `key ${i} ${kind} v ${v - 27}`, message, withV(signature, v - 27), address, true);
      add("tron", `key ${i} ${kind} no 0x`, message, signature.slice(2), address, true);
      const other = accounts[(i + 1) % accounts.length];
      secpNegatives("tron", message, signature, address, Trx.signMessageV2(message, other.privateKey),
        other.address.base58, tronUtils.message.hashMessage(message), account.publicKey);
      const evmStyle = await new ethers.Wallet("0x" + account.privateKey).signMessage(message);
      add("tron", `key ${i} ethereum-prefixed signature`, message, evmStyle, address, false, "signed by");
      add("tron", `key ${i} hex signer`, message, signature, account.address.hex, false, "not a Tron address");
    }
  }
}

// --- Solana: tweetnacl + bs58 ----------------------------------------------------------------
{
  const keys = [0, 1, 2].map(() => nacl.sign.keyPair());
  for (const [i, key] of keys.entries()) {
    const address = bs58.encode(key.publicKey);
    for (const [kind, message] of messages("usdt_solana")) {
      const bytes = new TextEncoder().encode(message);
      const signature = nacl.sign.detached(bytes, key.secretKey);
      check(nacl.sign.detached.verify(bytes, signature, key.publicKey), "tweetnacl verifies its own");
      const b58 = bs58.encode(signature);
      add("solana", `key ${i} ${kind} base58`, message, b58, address, true);
      if (kind !== "claim") continue;
      const sigBuf = Buffer.from(signature);
      add("solana", `key ${i} ${kind} hex`, message, sigBuf.toString("hex"), address, true);
      add("solana", `key ${i} ${kind} 0x hex`, message, "0x" + sigBuf.toString("hex"), address, true);
      add("solana", `key ${i} ${kind} base64`, message, sigBuf.toString("base64"), address, true);
      add("solana", `key ${i} ${kind} base64url`, message, sigBuf.toString("base64url"), address, true);
      const other = keys[(i + 1) % keys.length];
      add("solana", "other message", otherMessage(), b58, address, false, "not a signature of this exact message");
      add("solana", "other key", message, bs58.encode(nacl.sign.detached(bytes, other.secretKey)), address, false,
        `by the sender ${address}`);
      add("solana", "other signer", message, b58, bs58.encode(other.publicKey), false, "not a signature");
      for (const at of [0, 31, 32, 63]) {
        const t = Buffer.from(signature);
        t[at] ^= 0x80;
        add("solana", `tampered byte ${at}`, message, bs58.encode(t), address, false);
      }
      // In base58 the error may differ: 86 characters also read as 64 bytes of unpadded base64.
      add("solana", "63 bytes base58", message, bs58.encode(signature.subarray(0, 63)), address, false);
      add("solana", "63 bytes hex", message, sigBuf.subarray(0, 63).toString("hex"), address, false, "not 64 bytes");
      add("solana", "65 bytes", message, sigBuf.toString("hex") + "00", address, false, "not 64 bytes");
      add("solana", "address of 31 bytes", message, b58, bs58.encode(key.publicKey.subarray(0, 31)), false,
        "not a Solana address");
    }
  }
}

// --- TON: @ton/crypto ------------------------------------------------------------------------
{
  const fromMnemonic = await mnemonicToPrivateKey(await mnemonicNew());
  const keys = [fromMnemonic, keyPairFromSeed(randomBytes(32)), keyPairFromSeed(randomBytes(32))];
  for (const [i, key] of keys.entries()) {
    const publicKey = key.publicKey.toString("hex");
    for (const [kind, message] of messages("usdt_ton")) {
      const bytes = Buffer.from(message, "utf8");
      const signature = tonSign(bytes, key.secretKey);
      check(signVerify(bytes, signature, key.publicKey), "@ton/crypto verifies its own");
      add("ton", `key ${i} ${kind} hex`, message, signature.toString("hex"), publicKey, true);
      if (kind !== "claim") continue;
      add("ton", `key ${i} ${kind} base64`, message, signature.toString("base64"), publicKey, true);
      add("ton", `key ${i} ${kind} uppercase key`, message, signature.toString("hex"), publicKey.toUpperCase(), true);
      const other = keys[(i + 1) % keys.length];
      add("ton", "other message", otherMessage(), signature.toString("hex"), publicKey, false, "not a signature");
      add("ton", "other key", message, tonSign(bytes, other.secretKey).toString("hex"), publicKey, false,
        `public key ${publicKey}`);
      const t = Buffer.from(signature);
      t[10] ^= 0x04;
      add("ton", "tampered", message, t.toString("hex"), publicKey, false);
      // Refused, though not always with "not 64 bytes": 86 base58 characters read as base64 too.
      add("ton", "base58 is not a TON encoding", message, bs58.encode(signature), publicKey, false);
      add("ton", "key of 31 bytes", message, signature.toString("hex"), publicKey.slice(0, 62), false,
        "not 32 bytes of hex");
    }
  }
}

// --- Keccak-256: ethers' keccak256 of inputs around the 136-byte rate ------------------------
const keccak = [];
for (const text of ["", "Transfer(address,address,uint256)"]) {
  const hex = Buffer.from(text, "utf8").toString("hex");
  keccak.push({ input_hex: hex, digest_hex: ethers.keccak256("0x" + hex).slice(2) });
}
for (const size of [1, 135, 136, 137, 272, 1000]) {
  const hex = randomBytes(size).toString("hex");
  keccak.push({ input_hex: hex, digest_hex: ethers.keccak256("0x" + hex).slice(2) });
}

// Read from the installed files (not every package exports its package.json).
const versions = {};
for (const name of ["ethers", "tronweb", "tweetnacl", "bs58", "@ton/crypto", "@noble/curves"]) {
  const file = new URL(`node_modules/${name}/package.json`, import.meta.url);
  versions[name] = JSON.parse(readFileSync(file, "utf8")).version;
}
check(TronWeb.version === versions.tronweb, "tronweb version");
const document = { node: process.versions.node, packages: versions, cases, keccak };
// Written whole, then renamed: a reader never sees half a file.
writeFileSync(out + ".tmp", JSON.stringify(document, null, 1) + "\n");
renameSync(out + ".tmp", out);
const counts = {};
for (const c of cases) counts[c.scheme] = (counts[c.scheme] || 0) + 1;
console.log(`make_vectors: ${cases.length} cases (${JSON.stringify(counts)}), ${keccak.length} keccak digests -> ${out}`);
