#!/usr/bin/env node
// Local EVM devnet for instamarketd tests and the quick start.
//
// Subcommands (stdout: exactly one JSON object on one line; logs go to stderr):
//   start    --port 8545 --state DIR [--block-time 0] [--host 127.0.0.1] [--db PATH]
//   transfer --state DIR --token 6|18|0xADDR --from 1..5|0xADDR --to master|other|0xADDR --amount DECIMAL
//   balance  --state DIR --token 6|18|0xADDR --of master|other|1..5|0xADDR
//   mint     --state DIR --token 6|18|0xADDR --to master|other|0xADDR --amount DECIMAL
//   transfers --state DIR --token 6|18|0xADDR --from 1..5 --to master|other|0xADDR --amounts A,B,...
//            [--one-tx true]   several transfers in ONE block (mining paused meanwhile), or in
//            one transaction (transferMany); prints {"block_number", "transfers": [...]}
//   mine     --state DIR --blocks N
//   snapshot --state DIR
//   revert   --state DIR --id 0xID
//   head     --state DIR
// Every RPC subcommand also takes --rpc URL (overrides the rpc from DIR/devnet.json)
// and --timeout SECONDS (default 60). On failure: {"error": "..."} and exit code 1
// (2 for usage errors).
'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const CHAIN_ID = 1337;
// Ganache's --deterministic mnemonic: account 0 is 0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1.
const MNEMONIC = 'myth like bonus scare over problem client lizard pioneer submit female collect';
const TOTAL_ACCOUNTS = 10;
const ACCOUNT_ETH = 1000;
const HARDFORK = 'shanghai'; // newest fork ganache 7.9.2 knows; solc must target it too
const MINT_WHOLE_TOKENS = 1000000n;
const TOKENS = [
  { key: 'token6', name: 'TestUSDT6', symbol: 'TUSDT6', decimals: 6 },
  { key: 'token18', name: 'TestUSDT18', symbol: 'TUSDT18', decimals: 18 },
];
const SEL_TRANSFER = 'a9059cbb'; // transfer(address,uint256)
const SEL_MINT = '40c10f19'; // mint(address,uint256)
const SEL_TRANSFER_MANY = 'b7fc6612'; // transferMany(address[],uint256[])
const SEL_DECIMALS = '313ce567'; // decimals()
const SEL_BALANCE_OF = '70a08231'; // balanceOf(address)
const TOPIC_TRANSFER = '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';
const DEPLOY_GAS = '0x2dc6c0'; // 3,000,000
const CALL_GAS = '0x30d40'; // 200,000

const HERE = __dirname;
const CONTRACT_SRC = path.join(HERE, 'contracts', 'TestUSDT.sol');
const BUILD_DIR = path.join(HERE, 'build');
const DEFAULT_STATE = process.env.DEVNET_STATE || path.join(HERE, '..', 'var', 'devnet');

class UsageError extends Error {}

// ---------------------------------------------------------------- output

function log(...args) {
  process.stderr.write('[devnet] ' + args.join(' ') + '\n');
}

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function fail(err) {
  const usage = err instanceof UsageError;
  log(usage ? `usage error: ${err.message}` : process.env.DEVNET_DEBUG ? (err && err.stack) || String(err) : `error: ${(err && err.message) || err}`);
  emit({ error: String((err && err.message) || err) });
  process.exitCode = usage ? 2 : 1;
}

// ---------------------------------------------------------------- args

function parseArgs(argv) {
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument '${a}'`);
    const eq = a.indexOf('=');
    if (eq > 0) {
      opts[a.slice(2, eq)] = a.slice(eq + 1);
    } else {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`option ${a} needs a value`);
      opts[a.slice(2)] = v;
      i++;
    }
  }
  return opts;
}

function intOpt(opts, name, dflt, min, max) {
  const v = opts[name];
  if (v === undefined) {
    if (dflt === undefined) throw new UsageError(`--${name} is required`);
    return dflt;
  }
  if (!/^\d+$/.test(String(v))) throw new UsageError(`--${name} must be a non-negative integer`);
  const n = Number(v);
  if (n < min || n > max) throw new UsageError(`--${name} must be in ${min}..${max}`);
  return n;
}

function requireOpt(opts, name) {
  if (opts[name] === undefined) throw new UsageError(`--${name} is required`);
  return opts[name];
}

function checkKnown(opts, allowed) {
  for (const k of Object.keys(opts)) {
    if (!allowed.includes(k)) throw new UsageError(`unknown option --${k}`);
  }
}

// ---------------------------------------------------------------- hex / ABI

const isAddress = (s) => typeof s === 'string' && /^0x[0-9a-fA-F]{40}$/.test(s);
const hexToBig = (h) => (h === '0x' || h === '0x0' ? 0n : BigInt(h));
const hexToNum = (h) => Number(hexToBig(h));
const word = (big) => {
  if (big < 0n || big >= 1n << 256n) throw new Error('value does not fit in uint256');
  return big.toString(16).padStart(64, '0');
};
const addrWord = (a) => a.slice(2).toLowerCase().padStart(64, '0');
function stringWords(s) {
  const hex = Buffer.from(s, 'utf8').toString('hex');
  const padded = hex.padEnd(Math.ceil(hex.length / 64) * 64, '0');
  return word(BigInt(hex.length / 2)) + padded;
}
// constructor(string name, string symbol, uint8 decimals)
function encodeCtorArgs(name, symbol, decimals) {
  const t1 = stringWords(name);
  const t2 = stringWords(symbol);
  return word(96n) + word(BigInt(96 + t1.length / 2)) + word(BigInt(decimals)) + t1 + t2;
}
const callData = (sel, ...words) => '0x' + sel + words.join('');

// Exact decimal string -> base units. Never goes through floating point.
function parseAmount(str, decimals) {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(String(str).trim());
  if (!m) throw new UsageError(`amount '${str}' is not a plain non-negative decimal (e.g. 100.01)`);
  const frac = m[2] || '';
  if (frac.length > decimals && /[^0]/.test(frac.slice(decimals))) {
    throw new UsageError(`amount '${str}' has more than ${decimals} decimal places`);
  }
  const f = frac.slice(0, decimals).padEnd(decimals, '0');
  return BigInt(m[1]) * 10n ** BigInt(decimals) + (decimals > 0 ? BigInt(f) : 0n);
}

function formatAmount(raw, decimals) {
  const s = raw.toString().padStart(decimals + 1, '0');
  if (decimals === 0) return s;
  const int = s.slice(0, s.length - decimals);
  const frac = s.slice(s.length - decimals).replace(/0+$/, '');
  return frac ? `${int}.${frac}` : int;
}

// ---------------------------------------------------------------- JSON-RPC over HTTP

function httpRpc(url, timeoutMs) {
  let id = 0;
  return async function rpc(method, params = []) {
    const body = JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params });
    let res;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      const cause = e && e.cause && (e.cause.code || e.cause.message);
      throw new Error(`${method}: cannot reach devnet at ${url} (${cause || e.message}); is 'devnet.js start' running?`);
    }
    const text = await res.text();
    let j;
    try {
      j = JSON.parse(text);
    } catch {
      throw new Error(`${method}: HTTP ${res.status}, non-JSON response: ${text.slice(0, 200)}`);
    }
    if (j.error) throw new Error(`${method}: RPC error ${j.error.code}: ${j.error.message}`);
    return j.result;
  };
}

function providerRpc(provider) {
  return (method, params = []) => provider.request({ method, params });
}

async function waitReceipt(rpc, txHash, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await rpc('eth_getTransactionReceipt', [txHash]);
    if (r) {
      if (r.status !== '0x1') throw new Error(`transaction ${txHash} failed (status ${r.status})`);
      return r;
    }
    if (Date.now() > deadline) throw new Error(`no receipt for ${txHash} after ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

// ---------------------------------------------------------------- state file

function stateFile(dir) {
  return path.join(dir, 'devnet.json');
}

function readState(dir) {
  const f = stateFile(dir);
  let text;
  try {
    text = fs.readFileSync(f, 'utf8');
  } catch {
    throw new Error(`${f} not found: start the devnet first (node devnet/devnet.js start --state ${dir})`);
  }
  return JSON.parse(text);
}

function writeFileAtomic(file, text) {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

// ---------------------------------------------------------------- compile (cached)

function compileToken() {
  const source = fs.readFileSync(CONTRACT_SRC, 'utf8');
  const solcVersion = require('solc/package.json').version;
  const settings = {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: HARDFORK,
    outputSelection: { '*': { TestUSDT: ['abi', 'evm.bytecode.object'] } },
  };
  const key = crypto
    .createHash('sha256')
    .update(JSON.stringify({ source, solcVersion, settings }))
    .digest('hex');
  const cacheFile = path.join(BUILD_DIR, 'TestUSDT.json');
  try {
    const cached = JSON.parse(fs.readFileSync(cacheFile, 'utf8'));
    if (cached.key === key && cached.bytecode) return { ...cached, cached: true };
  } catch {
    /* cache miss */
  }
  const solc = require('solc');
  const input = { language: 'Solidity', sources: { 'TestUSDT.sol': { content: source } }, settings };
  const out = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (out.errors || []).filter((e) => e.severity === 'error');
  if (errors.length) throw new Error('solc: ' + errors.map((e) => e.formattedMessage).join('\n'));
  const c = out.contracts['TestUSDT.sol'].TestUSDT;
  const artifact = { key, solc: solc.version(), evmVersion: HARDFORK, abi: c.abi, bytecode: '0x' + c.evm.bytecode.object };
  fs.mkdirSync(BUILD_DIR, { recursive: true });
  writeFileAtomic(cacheFile, JSON.stringify(artifact, null, 1) + '\n');
  return { ...artifact, cached: false };
}

// ---------------------------------------------------------------- start

// CREATE address = keccak256(rlp([sender, nonce]))[12:], nonce < 128 here.
async function createAddress(rpc, sender, nonce) {
  const nonceHex = nonce === 0 ? '80' : nonce.toString(16).padStart(2, '0');
  const rlp = '0xd694' + sender.slice(2).toLowerCase() + nonceHex;
  const h = await rpc('web3_sha3', [rlp]);
  return '0x' + h.slice(-40);
}

async function cmdStart(opts) {
  checkKnown(opts, ['port', 'state', 'block-time', 'host', 'db']);
  const port = intOpt(opts, 'port', 8545, 1, 65535);
  const blockTime = intOpt(opts, 'block-time', 0, 0, 3600);
  const host = opts.host || '127.0.0.1';
  const stateDir = path.resolve(opts.state || DEFAULT_STATE);
  const dbPath = opts.db ? path.resolve(opts.db) : null;
  // solc/ganache may console.log; stdout is reserved for our one JSON object.
  console.log = console.info = console.warn = console.debug = (...a) => process.stderr.write(a.join(' ') + '\n');
  fs.mkdirSync(stateDir, { recursive: true });
  // A stale file would make waiting scripts think we are ready; put it back if we cannot listen
  // (the port may belong to a devnet that still uses this state dir).
  let previousState = null;
  try {
    previousState = fs.readFileSync(stateFile(stateDir), 'utf8');
  } catch {
    /* none */
  }
  fs.rmSync(stateFile(stateDir), { force: true });

  const t0 = Date.now();
  const artifact = compileToken();
  const tCompiled = Date.now();
  log(`contract ${artifact.cached ? 'loaded from build/ cache' : 'compiled with solc ' + artifact.solc} in ${tCompiled - t0} ms`);

  const ganache = require('ganache');
  const options = {
    chain: { chainId: CHAIN_ID, networkId: CHAIN_ID, hardfork: HARDFORK },
    wallet: { mnemonic: MNEMONIC, totalAccounts: TOTAL_ACCOUNTS, defaultBalance: ACCOUNT_ETH },
    miner: blockTime === 0 ? { blockTime: 0, instamine: 'eager' } : { blockTime },
    logging: { quiet: true },
  };
  if (dbPath) {
    fs.mkdirSync(dbPath, { recursive: true });
    options.database = { dbPath };
  }
  const server = ganache.server(options);
  try {
    await new Promise((resolve, reject) => server.listen(port, host, (err) => (err ? reject(err) : resolve())));
  } catch (e) {
    if (previousState !== null) writeFileAtomic(stateFile(stateDir), previousState);
    throw e;
  }
  const tListening = Date.now();
  log(`ganache ${host}:${port} listening in ${tListening - tCompiled} ms (chainId ${CHAIN_ID}, block time ${blockTime || 'instamine'})`);

  let stopping = false;
  const stop = async (sig) => {
    if (stopping) return;
    stopping = true;
    log(`${sig}: stopping`);
    fs.rmSync(stateFile(stateDir), { force: true });
    try {
      await server.close();
    } catch (e) {
      log('close error: ' + e.message);
    }
    process.exit(0);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  const rpc = providerRpc(server.provider);
  const accounts = Object.entries(server.provider.getInitialAccounts()).map(([address, a]) => ({
    address,
    private_key: a.secretKey,
  }));
  const deployer = accounts[0].address;
  const senders = accounts.slice(1, 6);
  const receiptTimeout = Math.max(60000, blockTime * 5000);

  const deployerNonce = hexToNum(await rpc('eth_getTransactionCount', [deployer, 'latest']));
  const addrs = {};
  if (deployerNonce === 0) {
    const deployHashes = [];
    for (const t of TOKENS) {
      const data = artifact.bytecode + encodeCtorArgs(t.name, t.symbol, t.decimals);
      deployHashes.push(await rpc('eth_sendTransaction', [{ from: deployer, data, gas: DEPLOY_GAS }]));
    }
    for (let i = 0; i < TOKENS.length; i++) {
      const r = await waitReceipt(rpc, deployHashes[i], receiptTimeout);
      addrs[TOKENS[i].key] = r.contractAddress;
    }
    const mintHashes = [];
    for (const t of TOKENS) {
      const amount = MINT_WHOLE_TOKENS * 10n ** BigInt(t.decimals);
      for (const s of senders) {
        const data = callData(SEL_MINT, addrWord(s.address), word(amount));
        mintHashes.push(await rpc('eth_sendTransaction', [{ from: deployer, to: addrs[t.key], data, gas: CALL_GAS }]));
      }
    }
    for (const h of mintHashes) await waitReceipt(rpc, h, receiptTimeout);
    log(`deployed ${TOKENS.map((t) => `${t.name}=${addrs[t.key]}`).join(' ')} and minted in ${Date.now() - tListening} ms`);
  } else {
    // Persistent chain (--db) restarted: the tokens are where the first two CREATEs put them.
    for (let i = 0; i < TOKENS.length; i++) {
      const a = await createAddress(rpc, deployer, i);
      const code = await rpc('eth_getCode', [a, 'latest']);
      if (!code || code === '0x') throw new Error(`persisted chain has deployer nonce ${deployerNonce} but no token at ${a}`);
      addrs[TOKENS[i].key] = a;
    }
    log(`reusing persisted chain: ${TOKENS.map((t) => `${t.name}=${addrs[t.key]}`).join(' ')}`);
  }

  const state = {
    rpc: `http://${host}:${port}`,
    chain_id: CHAIN_ID,
    token6: addrs.token6,
    token18: addrs.token18,
    master: accounts[9].address,
    other: accounts[8].address,
    senders,
    deployer,
  };
  writeFileAtomic(stateFile(stateDir), JSON.stringify(state, null, 2) + '\n');
  emit(state);
  log(`ready in ${Date.now() - t0} ms; state ${stateFile(stateDir)}; SIGTERM/SIGINT to stop`);
  // Keep running: ganache's listening socket holds the event loop open.
}

// ---------------------------------------------------------------- RPC subcommands

function rpcContext(opts, extra) {
  checkKnown(opts, ['state', 'rpc', 'timeout', ...extra]);
  const stateDir = path.resolve(opts.state || DEFAULT_STATE);
  const timeoutMs = intOpt(opts, 'timeout', 60, 1, 3600) * 1000;
  let state = null;
  const getState = () => (state = state || readState(stateDir));
  const url = opts.rpc || getState().rpc;
  return { rpc: httpRpc(url, timeoutMs), getState, timeoutMs };
}

function resolveToken(spec, state) {
  if (spec === '6') return state.token6;
  if (spec === '18') return state.token18;
  if (isAddress(spec)) return spec;
  throw new UsageError(`--token must be 6, 18 or a 0x address, got '${spec}'`);
}

function resolveAccount(spec, state, what) {
  if (spec === 'master') return state.master;
  if (spec === 'other') return state.other;
  if (spec === 'deployer') return state.deployer;
  if (/^[1-5]$/.test(spec)) return state.senders[Number(spec) - 1].address;
  if (isAddress(spec)) return spec.toLowerCase();
  throw new UsageError(`${what} must be master, other, deployer, 1..5 or a 0x address, got '${spec}'`);
}

async function tokenDecimals(rpc, token) {
  const r = await rpc('eth_call', [{ to: token, data: callData(SEL_DECIMALS) }, 'latest']);
  if (!r || r === '0x') throw new Error(`no ERC-20 at ${token} (decimals() returned nothing)`);
  return hexToNum(r);
}

async function cmdTransfer(opts) {
  const { rpc, getState, timeoutMs } = rpcContext(opts, ['token', 'from', 'to', 'amount']);
  const state = getState();
  const token = resolveToken(requireOpt(opts, 'token'), state);
  const fromSpec = requireOpt(opts, 'from');
  if (!/^[1-5]$/.test(fromSpec) && !isAddress(fromSpec)) {
    throw new UsageError(`--from must be a sender number 1..5 or an unlocked 0x address, got '${fromSpec}'`);
  }
  const from = resolveAccount(fromSpec, state, '--from');
  const to = resolveAccount(requireOpt(opts, 'to'), state, '--to');
  const amountStr = requireOpt(opts, 'amount');
  const decimals = await tokenDecimals(rpc, token);
  const raw = parseAmount(amountStr, decimals);

  const data = callData(SEL_TRANSFER, addrWord(to), word(raw));
  const txHash = await rpc('eth_sendTransaction', [{ from, to: token, data, gas: CALL_GAS }]);
  const r = await waitReceipt(rpc, txHash, timeoutMs);
  const lg = (r.logs || []).find(
    (l) => l.address.toLowerCase() === token.toLowerCase() && l.topics[0] === TOPIC_TRANSFER,
  );
  if (!lg) throw new Error(`transaction ${txHash} emitted no Transfer log`);
  // Ganache 7 numbers receipt logs per transaction (every first log is 0), while eth_getLogs
  // numbers them per block as the spec says. Report the eth_getLogs value, which is what an
  // indexer sees.
  let logIndex = hexToNum(lg.logIndex);
  const blockLogs = await rpc('eth_getLogs', [{ blockHash: r.blockHash, address: token, topics: [TOPIC_TRANSFER] }]);
  const same = (blockLogs || []).filter((l) => l.transactionHash === r.transactionHash);
  const nth = r.logs.filter((l) => l.address.toLowerCase() === token.toLowerCase() && l.topics[0] === TOPIC_TRANSFER).indexOf(lg);
  if (same[nth]) logIndex = hexToNum(same[nth].logIndex);
  else log(`warning: eth_getLogs did not return the log of ${txHash}; using the receipt's logIndex`);
  emit({
    tx_hash: r.transactionHash,
    block_number: hexToNum(r.blockNumber),
    block_hash: r.blockHash,
    log_index: logIndex,
    raw_amount: hexToBig(lg.data).toString(),
    token: token.toLowerCase(),
    decimals,
    amount: formatAmount(raw, decimals),
    from,
    to,
  });
}

// The Transfer logs of `token` in receipt `r`, with the log indexes eth_getLogs gives them
// (ganache numbers receipt logs per transaction, eth_getLogs per block).
async function transferLogs(rpc, r, token, decimals) {
  const mine = (r.logs || []).filter(
    (l) => l.address.toLowerCase() === token.toLowerCase() && l.topics[0] === TOPIC_TRANSFER,
  );
  const blockLogs = await rpc('eth_getLogs', [{ blockHash: r.blockHash, address: token, topics: [TOPIC_TRANSFER] }]);
  const same = (blockLogs || []).filter((l) => l.transactionHash === r.transactionHash);
  return mine.map((lg, nth) => ({
    tx_hash: r.transactionHash,
    block_number: hexToNum(r.blockNumber),
    block_hash: r.blockHash,
    log_index: hexToNum((same[nth] || lg).logIndex),
    raw_amount: hexToBig(lg.data).toString(),
    token: token.toLowerCase(),
    decimals,
    amount: formatAmount(hexToBig(lg.data), decimals),
    from: '0x' + lg.topics[1].slice(26),
    to: '0x' + lg.topics[2].slice(26),
  }));
}

async function cmdMint(opts) {
  const { rpc, getState, timeoutMs } = rpcContext(opts, ['token', 'to', 'amount']);
  const state = getState();
  const token = resolveToken(requireOpt(opts, 'token'), state);
  const to = resolveAccount(requireOpt(opts, 'to'), state, '--to');
  const decimals = await tokenDecimals(rpc, token);
  const raw = parseAmount(requireOpt(opts, 'amount'), decimals);
  const data = callData(SEL_MINT, addrWord(to), word(raw));
  const txHash = await rpc('eth_sendTransaction', [{ from: state.deployer, to: token, data, gas: CALL_GAS }]);
  const logs = await transferLogs(rpc, await waitReceipt(rpc, txHash, timeoutMs), token, decimals);
  if (logs.length !== 1) throw new Error(`mint ${txHash} emitted ${logs.length} Transfer logs`);
  emit(logs[0]);
}

// transferMany(address[] to, uint256[] values): head, two offsets, then each array.
function encodeTransferMany(tos, values) {
  const n = BigInt(tos.length);
  const toWords = tos.map(addrWord).join('');
  const valueWords = values.map(word).join('');
  const second = 64n + 32n * (1n + n);
  return callData(SEL_TRANSFER_MANY, word(64n), word(second), word(n) + toWords, word(n) + valueWords);
}

async function cmdTransfers(opts) {
  const { rpc, getState, timeoutMs } = rpcContext(opts, ['token', 'from', 'to', 'amounts', 'one-tx']);
  const state = getState();
  const token = resolveToken(requireOpt(opts, 'token'), state);
  const fromSpec = requireOpt(opts, 'from');
  if (!/^[1-5]$/.test(fromSpec)) throw new UsageError(`--from must be a sender number 1..5, got '${fromSpec}'`);
  const from = resolveAccount(fromSpec, state, '--from');
  const to = resolveAccount(requireOpt(opts, 'to'), state, '--to');
  const decimals = await tokenDecimals(rpc, token);
  const raws = String(requireOpt(opts, 'amounts')).split(',').map((a) => parseAmount(a, decimals));
  if (raws.length < 1 || raws.length > 50) throw new UsageError('--amounts takes 1..50 amounts');
  let hashes;
  if (opts['one-tx'] === 'true') {
    const data = encodeTransferMany(raws.map(() => to), raws);
    hashes = [await rpc('eth_sendTransaction', [{ from, to: token, data, gas: '0x' + (60000 * raws.length + 100000).toString(16) }])];
  } else {
    // Mining paused: the transactions wait in the pool, then one evm_mine puts them all in one block.
    await rpc('miner_stop', []);
    try {
      hashes = [];
      for (const raw of raws) {
        const data = callData(SEL_TRANSFER, addrWord(to), word(raw));
        hashes.push(await rpc('eth_sendTransaction', [{ from, to: token, data, gas: CALL_GAS }]));
      }
      await rpc('evm_mine', []);
    } finally {
      await rpc('miner_start', []);
    }
  }
  const transfers = [];
  for (const h of hashes) transfers.push(...(await transferLogs(rpc, await waitReceipt(rpc, h, timeoutMs), token, decimals)));
  const blocks = new Set(transfers.map((t) => t.block_number));
  if (blocks.size !== 1 || transfers.length !== raws.length) {
    throw new Error(`expected ${raws.length} transfers in one block, got ${transfers.length} in blocks ${[...blocks]}`);
  }
  emit({ block_number: transfers[0].block_number, transfers });
}

async function cmdBalance(opts) {
  const { rpc, getState } = rpcContext(opts, ['token', 'of']);
  const state = getState();
  const token = resolveToken(requireOpt(opts, 'token'), state);
  const of = resolveAccount(requireOpt(opts, 'of'), state, '--of');
  const decimals = await tokenDecimals(rpc, token);
  const raw = hexToBig(await rpc('eth_call', [{ to: token, data: callData(SEL_BALANCE_OF, addrWord(of)) }, 'latest']));
  emit({ address: of, token: token.toLowerCase(), decimals, raw_balance: raw.toString(), balance: formatAmount(raw, decimals) });
}

async function cmdMine(opts) {
  const { rpc } = rpcContext(opts, ['blocks']);
  const blocks = intOpt(opts, 'blocks', 1, 1, 1000000);
  await rpc('evm_mine', [{ blocks }]);
  emit({ head: hexToNum(await rpc('eth_blockNumber')) });
}

async function cmdHead(opts) {
  const { rpc } = rpcContext(opts, []);
  emit({ head: hexToNum(await rpc('eth_blockNumber')) });
}

async function cmdSnapshot(opts) {
  const { rpc } = rpcContext(opts, []);
  emit({ snapshot_id: await rpc('evm_snapshot') });
}

async function cmdRevert(opts) {
  const { rpc } = rpcContext(opts, ['id']);
  const id = requireOpt(opts, 'id');
  if (!/^0x[0-9a-fA-F]+$/.test(id)) throw new UsageError(`--id must be a 0x snapshot id, got '${id}'`);
  const ok = (await rpc('evm_revert', [id])) === true;
  emit({ reverted: ok });
  if (!ok) {
    log(`snapshot ${id} unknown (snapshot ids are single-use: reverting consumes it and every later one)`);
    process.exitCode = 1;
  }
}

// ---------------------------------------------------------------- main

const COMMANDS = {
  start: cmdStart,
  transfer: cmdTransfer,
  mint: cmdMint,
  transfers: cmdTransfers,
  balance: cmdBalance,
  mine: cmdMine,
  head: cmdHead,
  snapshot: cmdSnapshot,
  revert: cmdRevert,
};

function usage() {
  return [
    'usage: node devnet/devnet.js COMMAND [options]',
    '  start    --port 8545 --state DIR [--block-time 0] [--host 127.0.0.1] [--db PATH]',
    '  transfer --state DIR --token 6|18|0xADDR --from 1..5|0xADDR --to master|other|1..5|0xADDR --amount DECIMAL',
    '  mint     --state DIR --token 6|18|0xADDR --to master|other|0xADDR --amount DECIMAL',
    '  transfers --state DIR --token 6|18|0xADDR --from 1..5 --to master|other|0xADDR --amounts A,B,... [--one-tx true]',
    '  balance  --state DIR --token 6|18|0xADDR --of master|other|deployer|1..5|0xADDR',
    '  mine     --state DIR --blocks N',
    '  snapshot --state DIR',
    '  revert   --state DIR --id 0xID',
    '  head     --state DIR',
    `RPC commands also take --rpc URL and --timeout SECONDS. Default --state: ${DEFAULT_STATE}`,
  ].join('\n');
}

async function main() {
  const [cmd, ...rest] = process.argv.slice(2);
  if (!cmd || cmd === '-h' || cmd === '--help' || cmd === 'help') {
    process.stderr.write(usage() + '\n');
    if (!cmd) process.exitCode = 2;
    return;
  }
  try {
    const fn = COMMANDS[cmd];
    if (!fn) {
      process.stderr.write(usage() + '\n');
      throw new UsageError(`unknown command '${cmd}'`);
    }
    await fn(parseArgs(rest));
  } catch (e) {
    fail(e);
    if (cmd === 'start') process.exit(process.exitCode); // ganache may hold the loop open
  }
}

main();
