// Harmless DUT for the hostile cocotb test modules in ../cocotb/: the attack is in
// the Python test, not in the HDL. Top module: hostile_dut.
module hostile_dut (
    input  wire clk,
    output reg  q
);
  always @(posedge clk) q <= ~q;
endmodule
