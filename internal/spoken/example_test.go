package spoken_test

import (
	"fmt"

	"shebao/internal/spoken"
)

func ExampleReadDigits() {
	for _, said := range []string{"幺三八 幺二三四 五六七八", "六一0一0二.19530305.〇〇一九", "11010519491231002叉"} {
		d, _ := spoken.ReadDigits(said)
		fmt.Println(d)
	}
	// Output:
	// 13812345678
	// 610102195303050019
	// 11010519491231002X
}

func ExampleParseNumber() {
	for _, said := range []string{"一千二百五", "两千", "1万2", "十五点五"} {
		v, _ := spoken.ParseNumber(said)
		fmt.Println(v)
	}
	// Output:
	// 1250
	// 2000
	// 12000
	// 15.5
}

func ExampleValidID() {
	fmt.Println(spoken.ValidID("11010519491231002X"), spoken.ValidID("110105194912310021"))
	// Output: true false
}
