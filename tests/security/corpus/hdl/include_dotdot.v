// ATTACK: `include a file outside the work dir through "..".
// EXPECT: refused by the static gate before any file is read.
`include "../../@INCLUDE@"  // LINE-UNDER-TEST
module include_dotdot;
endmodule
