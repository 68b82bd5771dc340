export { parseAsm, ScriptAsmError } from './asm.js';
export type { ScriptFlagName } from './flags.js';
export {
  ALL_FLAGS,
  flagsAreConsistent,
  MANDATORY_FLAGS,
  parseFlags,
  SCRIPT_VERIFY,
  STANDARD_FLAGS,
} from './flags.js';
export { isOpSuccess, MAX_OPCODE, OP, opcodeName } from './opcodes.js';
export type { ScriptOp } from './script.js';
export {
  checkMinimalPush,
  compileScript,
  decodeScript,
  isP2SH,
  isPayToAnchor,
  isPushOnly,
  pushData,
  pushNumber,
  witnessProgram,
} from './script.js';
export { SCRIPT_ERROR_REASONS, ScriptError, type ScriptErrorName } from './scriptError.js';
export { castToBool, decodeScriptNum, encodeScriptNum } from './scriptNum.js';
export type { TaprootSighashOptions } from './sighash.js';
export { legacySighash, SighashCache, segwitV0Sighash, taprootSighash, taprootSigMsg } from './sighash.js';
export { isValidSignatureEncoding, SIGHASH, verifyEcdsa } from './signatureEncoding.js';
export type { TapLeafInfo, TapTree } from './taproot.js';
export {
  controlBlockMerkleRoot,
  p2trScript,
  TAPROOT_LEAF_TAPSCRIPT,
  taggedHash,
  tapBranchHash,
  tapLeafHash,
  taprootOutput,
  taprootTweakPubkey,
  tapTreeInfo,
  tapTweakHash,
  verifyTaprootCommitment,
} from './taproot.js';
export { verifyInput, verifyScript, verifyTx } from './verify.js';
