// ATTACK: bytes that are not UTF-8 (0xff 0xfe, a lone latin-1 0xe9) in comments and a string.
// EXPECT: no UnicodeDecodeError escapes: the gate, lint and simulation handle it.
module nonutf8 (input wire a, output wire y); // ÿþ café
  assign y = a;
  initial $display("ok ÿ");
endmodule
